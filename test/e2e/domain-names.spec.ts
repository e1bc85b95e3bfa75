import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteConfiguration } from '../../activities/ansible/site-data';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { forkEm } from '../../libs/db/orm';
import { DomainName, Notification, Operation, SiteEvent, Vhost } from '../../libs/domain';
import { siteWorkflowId } from '../../libs/temporal/names';
import { siteStateQuery } from '../../workflows/site.messages';
import { type BerthStack, type GraphQLResponse, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import {
  type OperationData,
  operationQuery,
  type RequestSiteData,
  requestSiteMutation,
} from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * Domain names end to end, with the default organisation zone (the servers' zone): names under
 * the site's own server's host name are approved at once and served; any other name waits for an
 * operator, who is notified, and is served only after an approval and a configuration run.
 * Refusals (a name another site uses, a reserved name, making a waiting name the server name,
 * a second decision, a non-operator's decision) are typed and change nothing.
 */

const alice: DevTokenOptions = { userId: 'alice' };
const bob: DevTokenOptions = { userId: 'bob' };
const operator: DevTokenOptions = { userId: 'olivia', operator: true };

type Result = {
  __typename: string;
  code?: string;
  message?: string;
  field?: string | null;
  operation?: { id: string; kind: string } | null;
  domainName?: { id: string; name: string; status: string; reason: string | null };
};

const configMutations = {
  addVhost: 'AddVhostInput',
  removeVhost: 'RemoveVhostInput',
  addVhostAlias: 'AddVhostAliasInput',
  removeVhostAlias: 'RemoveVhostAliasInput',
  setVhostServerName: 'SetVhostServerNameInput',
} as const;
type ConfigMutation = keyof typeof configMutations;

const decisions = {
  approveDomainName: 'ApproveDomainNameInput',
  rejectDomainName: 'RejectDomainNameInput',
} as const;
type Decision = keyof typeof decisions;

function configDocument(name: ConfigMutation): string {
  return `mutation Config($input: ${configMutations[name]}!) {
    result: ${name}(input: $input) {
      __typename
      ... on SiteOperationPayload { operation { id kind } }
      ... on UserError { code message field }
    }
  }`;
}

function decisionDocument(name: Decision): string {
  return `mutation Decide($input: ${decisions[name]}!) {
    result: ${name}(input: $input) {
      __typename
      ... on DomainNameDecisionPayload {
        domainName { id name status reason decidedBy }
        operation { id kind }
      }
      ... on UserError { code message field }
    }
  }`;
}

const pendingQuery = /* GraphQL */ `
  query Pending($first: Int, $after: String) {
    pendingDomainNames(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          siteId
          vhost
          name
          status
          requestedBy
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

interface PendingData {
  pendingDomainNames: {
    edges: {
      cursor: string;
      node: { id: string; siteId: string; vhost: string; name: string; requestedBy: string };
    }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

const vhostsQuery = /* GraphQL */ `
  query Vhosts($id: ID!) {
    site(id: $id) {
      status
      hostname
      vhosts {
        name
        serverName
        aliases
        names {
          name
          status
          reason
        }
      }
    }
  }
`;

interface VhostsData {
  site: {
    status: string;
    hostname: string;
    vhosts: {
      name: string;
      serverName: string;
      aliases: string[];
      names: { name: string; status: string; reason: string | null }[];
    }[];
  } | null;
}

describe.each(databaseKinds)('domain names on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName(`domain-names-${kind}`) });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  /** A READY site of alice's (bob's, when `as` is bob), and its server's host name. */
  async function readySite(as: DevTokenOptions = alice) {
    const response = await berth.graphql<RequestSiteData>(
      requestSiteMutation,
      { input: { name: uniqueName('Domains'), contactEmail: `${as.userId}@example.org` } },
      as,
    );
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    const site = await statusOf(result.site.id, 'READY');
    return { siteId: result.site.id, hostname: site.hostname };
  }

  async function vhostsOf(siteId: string, as: DevTokenOptions = operator) {
    const response = await berth.graphql<VhostsData>(vhostsQuery, { id: siteId }, as);
    const site = response.data?.site;
    if (!site) throw new Error(JSON.stringify(response));
    return site;
  }

  function statusOf(siteId: string, status: string) {
    return eventually(
      `site ${siteId} becoming ${status}`,
      () => vhostsOf(siteId),
      (site) => site.status === status,
    );
  }

  async function configure(
    name: ConfigMutation,
    input: Record<string, unknown>,
    as: DevTokenOptions = alice,
  ): Promise<Result> {
    const response = await berth.graphql<{ result: Result }>(configDocument(name), { input }, as);
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.result;
  }

  async function decide(
    name: Decision,
    input: Record<string, unknown>,
    as: DevTokenOptions = operator,
  ): Promise<GraphQLResponse<{ result: Result }>> {
    return berth.graphql<{ result: Result }>(decisionDocument(name), { input }, as);
  }

  /** Waits for the operation's configuration run to succeed and the site to be READY again. */
  async function succeeded(siteId: string, result: Result) {
    if (!result.operation) throw new Error(`no operation: ${JSON.stringify(result)}`);
    expect(result.operation.kind).toBe('CONFIGURE');
    const operation = await eventually(
      `operation ${result.operation.id} finishing`,
      async () =>
        (await berth.graphql<OperationData>(operationQuery, { id: result.operation!.id }, operator))
          .data?.operation,
      (op) => op?.status === 'SUCCEEDED' || op?.status === 'FAILED',
    );
    expect(operation?.status).toBe('SUCCEEDED');
    await statusOf(siteId, 'READY');
  }

  async function applied(
    name: ConfigMutation,
    input: { siteId: string } & Record<string, unknown>,
    as: DevTokenOptions = alice,
  ) {
    await succeeded(input.siteId, await configure(name, input, as));
  }

  /** The vhosts a configuration run of the site's server would be given now. */
  async function servedVhosts(siteId: string) {
    const state = await berth.temporal.workflow
      .getHandle(siteWorkflowId(siteId))
      .query(siteStateQuery);
    const { vars } = await siteConfiguration(db.orm, berth.config.secretKey, {
      vmId: state.vmId!,
      siteId,
      hostname: state.hostname!,
      ipv4: state.ipv4!,
      ipv6: state.ipv6!,
    });
    return vars.berth.vhosts.map((vhost) => ({
      name: vhost.name,
      server_name: vhost.server_name,
      aliases: vhost.aliases,
    }));
  }

  async function rowOf(name: string) {
    return forkEm(db.orm).findOneOrFail(DomainName, { name });
  }

  /** Everything a refused request must leave as it was, across every site. */
  async function footprint() {
    const em = forkEm(db.orm);
    return {
      vhosts: await em
        .find(Vhost, {}, { orderBy: { id: 'asc' } })
        .then((rows) => rows.map((row) => [row.id, row.serverName, row.aliases.join(',')])),
      names: await em
        .find(DomainName, {}, { orderBy: { id: 'asc' } })
        .then((rows) => rows.map((row) => [row.id, row.name, row.status, row.vhostId, row.reason])),
      operations: await em.count(Operation, {}),
      events: await em.count(SiteEvent, {}),
      notifications: await em.count(Notification, {}),
    };
  }

  function domainNotifications(siteId: string, kind: string) {
    return forkEm(db.orm).find(Notification, { siteId, kind }, { orderBy: { createdAt: 'asc' } });
  }

  it.skipIf(skip)(
    "approves names under the site's own host name at once, serves them, and tells nobody",
    async () => {
      const { siteId, hostname } = await readySite();
      const blog = `blog.${hostname}`;
      await applied('addVhost', {
        siteId,
        name: 'blog',
        serverName: blog,
        aliases: [{ name: `www.${blog}` }],
      });
      const vhost = (await vhostsOf(siteId, alice)).vhosts.find((v) => v.name === 'blog');
      expect(vhost?.names).toEqual([
        { name: blog, status: 'APPROVED', reason: null },
        { name: `www.${blog}`, status: 'APPROVED', reason: null },
      ]);
      expect(await rowOf(blog)).toMatchObject({ status: 'approved', decidedBy: 'system' });
      expect(await servedVhosts(siteId)).toContainEqual({
        name: 'blog',
        server_name: blog,
        aliases: [`www.${blog}`],
      });
      expect(await domainNotifications(siteId, 'domain-approval-needed')).toEqual([]);
      // The default vhost's one name is the server's, approved.
      expect((await vhostsOf(siteId)).vhosts[0]?.names).toEqual([
        { name: hostname, status: 'APPROVED', reason: null },
      ]);
    },
  );

  it.skipIf(skip)(
    'holds an external name until an operator approves it, then serves it after a run and tells the site',
    async () => {
      const { siteId, hostname } = await readySite();
      const external = `www.${uniqueName('charity')}.example.org`;
      const internal = `charity.${hostname}`;
      await applied('addVhost', {
        siteId,
        name: 'charity',
        serverName: external,
        aliases: [{ name: internal }],
      });

      // Waiting: listed with its status, not served (its server name waits, so the vhost waits).
      const charity = (await vhostsOf(siteId, alice)).vhosts.find((v) => v.name === 'charity');
      expect(charity?.names).toEqual([
        { name: external, status: 'PENDING', reason: null },
        { name: internal, status: 'APPROVED', reason: null },
      ]);
      expect((await servedVhosts(siteId)).map((v) => v.name)).toEqual(['default']);

      // The operators were told, once, about the one name that waits.
      const needed = await domainNotifications(siteId, 'domain-approval-needed');
      expect(needed).toHaveLength(1);
      expect(needed[0]).toMatchObject({ audience: 'operators' });
      expect(needed[0]!.subject).toContain(external);
      expect(needed[0]!.body).toContain('alice');

      // It is in the operators' queue.
      const row = await rowOf(external);
      const queue = await allPending();
      expect(queue).toContainEqual({
        id: row.id,
        siteId,
        vhost: 'charity',
        name: external,
        status: 'PENDING',
        requestedBy: 'alice',
      });

      // Approved: a configuration run serves it, and the site's people are told.
      const operationsBefore = await forkEm(db.orm).count(Operation, { siteId });
      const approval = await decide('approveDomainName', { id: row.id });
      const result = approval.data?.result;
      expect(result).toMatchObject({
        __typename: 'DomainNameDecisionPayload',
        domainName: { id: row.id, name: external, status: 'APPROVED', decidedBy: 'olivia' },
      });
      await succeeded(siteId, result!);
      expect(await forkEm(db.orm).count(Operation, { siteId })).toBe(operationsBefore + 1);
      expect(await servedVhosts(siteId)).toContainEqual({
        name: 'charity',
        server_name: external,
        aliases: [internal],
      });
      const given = await domainNotifications(siteId, 'domain-approval-given');
      expect(given).toHaveLength(1);
      expect(given[0]).toMatchObject({ audience: 'site' });
      expect(given[0]!.recipients).toContain('alice@example.org');
      expect(given[0]!.subject).toContain(external);
      const [approved] = await forkEm(db.orm).find(SiteEvent, {
        siteId,
        action: 'domain.approved',
      });
      expect(approved).toMatchObject({ actor: 'olivia' });
      expect((await allPending()).map((node) => node.id)).not.toContain(row.id);

      // A second decision on it is refused and changes nothing.
      const before = await footprint();
      for (const [name, input] of [
        ['approveDomainName', { id: row.id }],
        ['rejectDomainName', { id: row.id, reason: 'changed my mind' }],
      ] as const) {
        const again = await decide(name, input);
        expect(again.data?.result, name).toMatchObject({
          code: 'DOMAIN_ALREADY_DECIDED',
          field: 'id',
        });
        expect(await footprint(), name).toEqual(before);
      }
    },
  );

  it.skipIf(skip)(
    'never serves a rejected name, shows the reason, and frees it when the alias is removed',
    async () => {
      const { siteId, hostname } = await readySite();
      const shop = `shop.${hostname}`;
      await applied('addVhost', { siteId, name: 'shop', serverName: shop });
      const external = `${uniqueName('shop')}.example.net`;
      await applied('addVhostAlias', { siteId, vhost: 'shop', name: external });
      expect(await servedVhosts(siteId)).toContainEqual({
        name: 'shop',
        server_name: shop,
        aliases: [],
      });
      expect(await domainNotifications(siteId, 'domain-approval-needed')).toHaveLength(1);

      const row = await rowOf(external);
      const operations = await forkEm(db.orm).count(Operation, {});
      const rejection = await decide('rejectDomainName', {
        id: row.id,
        reason: 'The name belongs to someone else',
      });
      expect(rejection.data?.result).toMatchObject({
        __typename: 'DomainNameDecisionPayload',
        domainName: { status: 'REJECTED', reason: 'The name belongs to someone else' },
        operation: null,
      });
      // Nothing to change on the server: no run.
      expect(await forkEm(db.orm).count(Operation, {})).toBe(operations);
      const [rejected] = await forkEm(db.orm).find(SiteEvent, {
        siteId,
        action: 'domain.rejected',
      });
      expect(rejected?.summary).toContain('The name belongs to someone else');
      // The site's people are told, with the reason.
      const told = await domainNotifications(siteId, 'domain-rejected');
      expect(told).toHaveLength(1);
      expect(told[0]).toMatchObject({ audience: 'site' });
      expect(told[0]!.recipients).toContain('alice@example.org');
      expect(told[0]!.subject).toContain(external);
      expect(told[0]!.body.replace(/\n/g, ' ')).toContain('The name belongs to someone else');
      const vhost = (await vhostsOf(siteId, alice)).vhosts.find((v) => v.name === 'shop');
      expect(vhost?.names).toContainEqual({
        name: external,
        status: 'REJECTED',
        reason: 'The name belongs to someone else',
      });

      // A later run still leaves it out.
      await applied('addVhostAlias', { siteId, vhost: 'shop', name: `www.${shop}` });
      expect(await servedVhosts(siteId)).toContainEqual({
        name: 'shop',
        server_name: shop,
        aliases: [`www.${shop}`],
      });

      // It stays this site's until its admins remove it; then another site may ask for it.
      const other = await readySite(bob);
      await applied(
        'addVhost',
        { siteId: other.siteId, name: 'mine', serverName: `mine.${other.hostname}` },
        bob,
      );
      const claim = { siteId: other.siteId, vhost: 'mine', name: external };
      expect(await configure('addVhostAlias', claim, bob)).toMatchObject({
        code: 'DOMAIN_TAKEN',
        field: 'name',
      });
      await applied('removeVhostAlias', { siteId, vhost: 'shop', name: external });
      expect(await forkEm(db.orm).count(DomainName, { name: external })).toBe(0);
      await applied('addVhostAlias', claim, bob);
      expect(await rowOf(external)).toMatchObject({ siteId: other.siteId, status: 'pending' });
    },
  );

  it.skipIf(skip)(
    'refuses making a name that waits the server name (DOMAIN_NOT_APPROVED), then allows it once approved',
    async () => {
      const { siteId, hostname } = await readySite();
      const docs = `docs.${hostname}`;
      const external = `docs.${uniqueName('project')}.example.org`;
      await applied('addVhost', { siteId, name: 'docs', serverName: docs });
      await applied('addVhostAlias', { siteId, vhost: 'docs', name: external });
      const served = await servedVhosts(siteId);

      const before = await footprint();
      const switchTo = { siteId, vhost: 'docs', name: external };
      expect(await configure('setVhostServerName', switchTo)).toMatchObject({
        __typename: 'DomainNotApprovedError',
        code: 'DOMAIN_NOT_APPROVED',
        field: 'name',
      });
      expect(await footprint()).toEqual(before);
      expect(await servedVhosts(siteId)).toEqual(served);

      const approval = await decide('approveDomainName', { id: (await rowOf(external)).id });
      await succeeded(siteId, approval.data!.result);
      await applied('setVhostServerName', switchTo);
      const vhost = (await vhostsOf(siteId, alice)).vhosts.find((v) => v.name === 'docs');
      expect(vhost).toMatchObject({ serverName: external, aliases: [docs] });
      expect(await servedVhosts(siteId)).toContainEqual({
        name: 'docs',
        server_name: external,
        aliases: [docs],
      });
    },
  );

  it.skipIf(skip)(
    "refuses names another site uses, reserved names and the server's own, and bad references, writing nothing",
    async () => {
      const first = await readySite();
      const second = await readySite(bob);
      const external = `${uniqueName('taken')}.example.org`;
      await applied('addVhost', {
        siteId: first.siteId,
        name: 'taken',
        serverName: `taken.${first.hostname}`,
        aliases: [{ name: external }],
      });
      await applied(
        'addVhost',
        { siteId: second.siteId, name: 'own', serverName: `own.${second.hostname}` },
        bob,
      );
      const zone = berth.config.network.zone;

      const cases: [string, ConfigMutation, Record<string, unknown>, string, string][] = [
        [
          "another site's waiting name as a server name",
          'addVhost',
          { name: 'copy', serverName: external },
          'DOMAIN_TAKEN',
          'serverName',
        ],
        [
          "another site's approved name as an alias",
          'addVhost',
          {
            name: 'copy',
            serverName: `copy.${second.hostname}`,
            aliases: [{ name: `fine.${second.hostname}` }, { name: `taken.${first.hostname}` }],
          },
          // Under the first site's host name: reserved for that site before anyone's row.
          'DOMAIN_RESERVED',
          'aliases.1.name',
        ],
        [
          "another site's name added as an alias",
          'addVhostAlias',
          { vhost: 'own', name: external },
          'DOMAIN_TAKEN',
          'name',
        ],
        [
          'a name the vhost answers as already',
          'addVhostAlias',
          { vhost: 'own', name: `own.${second.hostname}` },
          'DOMAIN_TAKEN',
          'name',
        ],
        [
          "another server's host name",
          'addVhost',
          { name: 'copy', serverName: first.hostname },
          'DOMAIN_RESERVED',
          'serverName',
        ],
        [
          "a host name in the servers' zone no server has yet",
          'addVhostAlias',
          { vhost: 'own', name: `web-99999.${zone}` },
          'DOMAIN_RESERVED',
          'name',
        ],
        [
          "the servers' zone itself",
          'addVhostAlias',
          { vhost: 'own', name: zone },
          'DOMAIN_RESERVED',
          'name',
        ],
        [
          "the server's own host name",
          'addVhost',
          { name: 'copy', serverName: second.hostname },
          'DOMAIN_TAKEN',
          'serverName',
        ],
        [
          'an alias of a vhost that does not exist',
          'addVhostAlias',
          { vhost: 'nowhere', name: `x.${second.hostname}` },
          'VHOST_NOT_FOUND',
          'vhost',
        ],
        [
          'an alias of the default vhost',
          'addVhostAlias',
          { vhost: 'default', name: `x.${second.hostname}` },
          'VHOST_NOT_FOUND',
          'vhost',
        ],
        [
          'removing the server name as if it were an alias',
          'removeVhostAlias',
          { vhost: 'own', name: `own.${second.hostname}` },
          'DOMAIN_NOT_FOUND',
          'name',
        ],
        [
          'removing an alias the vhost does not have',
          'removeVhostAlias',
          { vhost: 'own', name: external },
          'DOMAIN_NOT_FOUND',
          'name',
        ],
        [
          'a server name that is no alias of the vhost',
          'setVhostServerName',
          { vhost: 'own', name: external },
          'DOMAIN_NOT_FOUND',
          'name',
        ],
      ];
      for (const [what, mutation, fields, code, field] of cases) {
        const before = await footprint();
        const answer = await configure(mutation, { siteId: second.siteId, ...fields }, bob);
        expect(answer, what).toMatchObject({ code, field });
        expect(await footprint(), what).toEqual(before);
      }
      // The first site's names are still its own, as they were.
      expect(await rowOf(external)).toMatchObject({ siteId: first.siteId, status: 'pending' });
    },
  );

  it.skipIf(skip)('lets one of two sites claiming a name at once have it', async () => {
    const [first, second] = await Promise.all([readySite(), readySite(bob)]);
    await Promise.all([
      applied('addVhost', {
        siteId: first.siteId,
        name: 'race',
        serverName: `race.${first.hostname}`,
      }),
      applied(
        'addVhost',
        { siteId: second.siteId, name: 'race', serverName: `race.${second.hostname}` },
        bob,
      ),
    ]);
    const contested = `${uniqueName('contested')}.example.org`;
    const answers = await Promise.all([
      configure('addVhostAlias', { siteId: first.siteId, vhost: 'race', name: contested }),
      configure('addVhostAlias', { siteId: second.siteId, vhost: 'race', name: contested }, bob),
    ]);
    expect(answers.map((answer) => answer.__typename).sort()).toEqual([
      'DomainTakenError',
      'SiteOperationPayload',
    ]);
    const winner = answers.findIndex((answer) => answer.__typename === 'SiteOperationPayload');
    const winnerSite = [first, second][winner]!;
    const loserSite = [first, second][1 - winner]!;
    await succeeded(winnerSite.siteId, answers[winner]!);
    expect(await forkEm(db.orm).find(DomainName, { name: contested })).toMatchObject([
      { siteId: winnerSite.siteId },
    ]);
    // The loser's vhost is as it was: its aliases list does not name it.
    const loser = (await vhostsOf(loserSite.siteId)).vhosts.find((v) => v.name === 'race');
    expect(loser?.aliases).toEqual([]);
  });

  it.skipIf(skip)(
    'lets only operators read the queue and decide, with a real pending name',
    async () => {
      const { siteId, hostname } = await readySite();
      const external = `${uniqueName('ask')}.example.org`;
      await applied('addVhost', { siteId, name: 'ask', serverName: `ask.${hostname}` });
      await applied('addVhostAlias', { siteId, vhost: 'ask', name: external });
      const id = (await rowOf(external)).id;
      const before = await footprint();

      // The site's own admin, another user, and an operator's token without the operator scope.
      const callers: DevTokenOptions[] = [
        alice,
        bob,
        { userId: 'olivia', operator: true, scopes: ['sites:read', 'sites:write'] },
      ];
      for (const caller of callers) {
        for (const [name, input] of [
          ['approveDomainName', { id }],
          ['rejectDomainName', { id, reason: 'no' }],
        ] as const) {
          const answer = await decide(name, input, caller);
          expect(answer.errors?.[0]?.extensions?.code, `${name} as ${caller.userId}`).toBe(
            'FORBIDDEN',
          );
        }
        const queue = await berth.graphql(pendingQuery, {}, caller);
        expect(queue.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        expect(await footprint()).toEqual(before);
      }
      const anonymous = await berth.graphql(
        decisionDocument('approveDomainName'),
        { input: { id } },
        null,
      );
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(await rowOf(external)).toMatchObject({ status: 'pending', decidedBy: null });
      expect(await footprint()).toEqual(before);
    },
  );

  it.skipIf(skip)("frees a deleted site's names for other sites", async () => {
    const gone = await readySite();
    const external = `${uniqueName('legacy')}.example.org`;
    await applied('addVhost', { siteId: gone.siteId, name: 'legacy', serverName: external });
    const deleted = await berth.graphql<{ deleteSite: { __typename: string } }>(
      'mutation D($siteId: ID!) { deleteSite(input: { siteId: $siteId }) { __typename } }',
      { siteId: gone.siteId },
      operator,
    );
    expect(deleted.data?.deleteSite.__typename).toBe('SiteOperationPayload');
    await statusOf(gone.siteId, 'DELETED');
    expect(await forkEm(db.orm).count(DomainName, { siteId: gone.siteId })).toBe(0);

    const heir = await readySite(bob);
    await applied('addVhost', { siteId: heir.siteId, name: 'legacy', serverName: external }, bob);
    expect(await rowOf(external)).toMatchObject({ siteId: heir.siteId, status: 'pending' });
  });

  it.skipIf(skip)('pages through the queue oldest first', async () => {
    const { siteId, hostname } = await readySite();
    await applied('addVhost', { siteId, name: 'paged', serverName: `paged.${hostname}` });
    const names = [1, 2, 3].map((n) => `${uniqueName(`page${n}`)}.example.org`);
    for (const name of names) await applied('addVhostAlias', { siteId, vhost: 'paged', name });
    const seen = (await allPending(1)).filter((node) => node.siteId === siteId);
    expect(seen.map((node) => node.name)).toEqual(names);
  });

  describe('hostile input', () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const cases: [string, Decision | ConfigMutation, () => Record<string, unknown>][] = [
      ['an id that is not a UUID', 'approveDomainName', () => ({ id: "1' or '1'='1" })],
      ['a blank reason', 'rejectDomainName', () => ({ id, reason: '   ' })],
      ['an empty reason', 'rejectDomainName', () => ({ id, reason: '' })],
      ['a reason over 500 characters', 'rejectDomainName', () => ({ id, reason: 'r'.repeat(501) })],
      ['a reason with a line break', 'rejectDomainName', () => ({ id, reason: 'a\nb' })],
      ['a reason with escapes', 'rejectDomainName', () => ({ id, reason: 'a\u001b[31mb' })],
      ['no reason', 'rejectDomainName', () => ({ id })],
      [
        'a wildcard alias',
        'addVhostAlias',
        () => ({ siteId: id, vhost: 'shop', name: '*.example.org' }),
      ],
      [
        'an alias with a template',
        'addVhostAlias',
        () => ({ siteId: id, vhost: 'shop', name: "{{ lookup('pipe','id') }}.example.org" }),
      ],
      [
        'a vhost that is a path',
        'removeVhostAlias',
        () => ({ siteId: id, vhost: '../etc', name: 'x.example.org' }),
      ],
      [
        'an upper-case server name',
        'setVhostServerName',
        () => ({ siteId: id, vhost: 'shop', name: 'WWW.example.org' }),
      ],
    ];

    it.skipIf(skip).each(cases)(
      'refuses %s to %s and changes nothing',
      async (_what, name, input) => {
        const before = await footprint();
        const document =
          name in decisions
            ? decisionDocument(name as Decision)
            : configDocument(name as ConfigMutation);
        const response = await berth.graphql(document, { input: input() }, operator);
        expect(response.data ?? null).toBeNull();
        expect(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']).toContain(
          response.errors?.[0]?.extensions?.code,
        );
        expect(await footprint()).toEqual(before);
      },
    );

    it.skipIf(skip)(
      'answers a decision on a name that does not exist with DOMAIN_NOT_FOUND',
      async () => {
        const before = await footprint();
        for (const [name, input] of [
          ['approveDomainName', { id }],
          ['rejectDomainName', { id, reason: 'no' }],
        ] as const) {
          expect((await decide(name, input)).data?.result).toMatchObject({
            code: 'DOMAIN_NOT_FOUND',
            field: 'id',
          });
        }
        expect(await footprint()).toEqual(before);
      },
    );
  });

  /** Every pending name, following the cursor from page to page of `first`. */
  async function allPending(first = 50) {
    const nodes: PendingData['pendingDomainNames']['edges'][number]['node'][] = [];
    let after: string | null = null;
    for (;;) {
      const response: GraphQLResponse<PendingData> = await berth.graphql<PendingData>(
        pendingQuery,
        { first, after },
        operator,
      );
      const page = response.data?.pendingDomainNames;
      if (!page) throw new Error(JSON.stringify(response));
      nodes.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) return nodes;
      after = page.pageInfo.endCursor;
    }
  }
});
