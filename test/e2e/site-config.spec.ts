import { exampleDirectoryFile } from '../../activities/directory/create-directory';
import { FileDirectory } from '../../activities/directory/file/file-directory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteConfiguration } from '../../activities/ansible/site-data';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { forkEm } from '../../libs/db/orm';
import { DomainName, Operation, SiteEvent, SiteRole, Vhost } from '../../libs/domain';
import { siteWorkflowId } from '../../libs/temporal/names';
import { siteStateQuery } from '../../workflows/site.messages';
import { type BerthStack, startBerth } from '../helpers/berth';
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
 * A site's virtual hosts and users' roles end to end: each change is written, audited and
 * followed by a configuration run whose vars (siteConfiguration) reflect it; refusals (by input,
 * by state, by access) leave nothing behind.
 */

const alice: DevTokenOptions = { userId: 'alice' };
const bob: DevTokenOptions = { userId: 'bob' };
const operator: DevTokenOptions = { userId: 'olivia', operator: true };

type ConfigResult =
  | { __typename: 'SiteOperationPayload'; operation: { id: string; kind: string } }
  | { __typename: string; code: string; message: string; field: string | null };

type ConfigMutation = 'addVhost' | 'removeVhost' | 'grantSiteRole' | 'revokeSiteRole';

const inputTypes: Record<ConfigMutation, string> = {
  addVhost: 'AddVhostInput',
  removeVhost: 'RemoveVhostInput',
  grantSiteRole: 'SiteRoleInput',
  revokeSiteRole: 'SiteRoleInput',
};

function configMutation(name: ConfigMutation): string {
  return `mutation Config($input: ${inputTypes[name]}!) {
    result: ${name}(input: $input) {
      __typename
      ... on SiteOperationPayload { operation { id kind } }
      ... on UserError { code message field }
    }
  }`;
}

const siteConfigQuery = /* GraphQL */ `
  query SiteConfig($id: ID!) {
    site(id: $id) {
      status
      hostname
      vhosts {
        name
        serverName
        aliases
        webRoot
        isDefault
      }
      roles {
        user
        role
        grantedBy
      }
    }
  }
`;

interface SiteConfigData {
  site: {
    status: string;
    hostname: string | null;
    vhosts: {
      name: string;
      serverName: string;
      aliases: string[];
      webRoot: string;
      isDefault: boolean;
    }[];
    roles: { user: string; role: string; grantedBy: string }[];
  } | null;
}

describe.each(databaseKinds)('site configuration on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  /** A ready site of alice's that the tests which must change nothing share. */
  let sharedSiteId: string;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName(`site-config-${kind}`),
      env: {
        // Runs of 7 tasks of 100 ms: long enough for concurrent changes to arrive during one.
        BERTH_SIMULATED_ANSIBLE_TASK_MS: '100',
        // The example.org names of these tests are the organisation's, approved at once
        // (domain-names.spec.ts covers names that wait for an operator).
        BERTH_ORGANISATION_ZONES: 'example.org',
      },
    });
    sharedSiteId = await readySite();
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  async function readySite(): Promise<string> {
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('Config'), contactEmail: 'alice@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    await statusOf(result.site.id, 'READY');
    return result.site.id;
  }

  async function siteConfig(siteId: string) {
    const response = await berth.graphql<SiteConfigData>(siteConfigQuery, { id: siteId }, operator);
    const site = response.data?.site;
    if (!site) throw new Error(JSON.stringify(response));
    return site;
  }

  function statusOf(siteId: string, status: string) {
    return eventually(
      `site ${siteId} becoming ${status}`,
      () => siteConfig(siteId),
      (site) => site.status === status,
    );
  }

  async function mutate(
    name: ConfigMutation,
    input: Record<string, unknown>,
    as: DevTokenOptions = alice,
  ): Promise<ConfigResult> {
    const response = await berth.graphql<{ result: ConfigResult }>(
      configMutation(name),
      { input },
      as,
    );
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.result;
  }

  /** Waits for the change's operation (a configuration run) to finish, and returns it. */
  async function finished(result: ConfigResult) {
    if (!('operation' in result)) throw new Error(`refused: ${JSON.stringify(result)}`);
    expect(result.operation.kind).toBe('CONFIGURE');
    return operationOutcome(result.operation.id);
  }

  function operationOutcome(operationId: string) {
    return eventually(
      `operation ${operationId} finishing`,
      async () =>
        (await berth.graphql<OperationData>(operationQuery, { id: operationId })).data?.operation,
      (op) => op?.status === 'SUCCEEDED' || op?.status === 'FAILED',
    );
  }

  /**
   * Makes the change and expects its configuration run to succeed, then waits for the site to be
   * READY again: the run finishes its operations before it writes that (and its audit event).
   */
  async function applied(
    name: ConfigMutation,
    input: { siteId: string } & Record<string, unknown>,
    as: DevTokenOptions = alice,
  ) {
    const operation = await finished(await mutate(name, input, as));
    expect(operation?.status).toBe('SUCCEEDED');
    await statusOf(input.siteId, 'READY');
    return operation!;
  }

  /** Everything a refused change must leave as it was. */
  async function written(siteId: string) {
    const em = forkEm(db.orm);
    return {
      vhosts: await em.count(Vhost, { siteId }),
      domainNames: await em.count(DomainName, { siteId }),
      roles: await em.count(SiteRole, { siteId }),
      operations: await em.count(Operation, { siteId }),
      events: await em.count(SiteEvent, { siteId }),
    };
  }

  /** Site events of one action, oldest first. */
  async function events(siteId: string, action: string) {
    return forkEm(db.orm).find(SiteEvent, { siteId, action }, { orderBy: { id: 'asc' } });
  }

  /** The vars a configuration run of the site's server would get now. */
  async function runVars(siteId: string) {
    const state = await berth.temporal.workflow
      .getHandle(siteWorkflowId(siteId))
      .query(siteStateQuery);
    const { vars } = await siteConfiguration(
      db.orm,
      berth.config.secretKey,
      {
        vmId: state.vmId!,
        siteId,
        hostname: state.hostname!,
        ipv4: state.ipv4!,
        ipv6: state.ipv6!,
      },
      // The api's directory: the example file of the embedded profile.
      new FileDirectory(exampleDirectoryFile),
    );
    return vars.berth;
  }

  it.skipIf(skip)(
    'lists the default vhost and the owner, and adds and removes a vhost, audited and in the run',
    async () => {
      const siteId = await readySite();
      const before = await siteConfig(siteId);
      expect(before.vhosts).toEqual([
        {
          name: 'default',
          serverName: before.hostname,
          aliases: [],
          webRoot: '/var/www/default',
          isDefault: true,
        },
      ]);
      expect(before.roles).toEqual([{ user: 'alice', role: 'ADMIN', grantedBy: 'alice' }]);

      await applied('addVhost', {
        siteId,
        name: 'blog',
        serverName: 'blog.example.org',
        aliases: [{ name: 'www.blog.example.org' }, { name: 'news.example.org' }],
      });
      const blog = {
        name: 'blog',
        serverName: 'blog.example.org',
        aliases: ['www.blog.example.org', 'news.example.org'],
        webRoot: '/var/www/blog',
        isDefault: false,
      };
      expect((await siteConfig(siteId)).vhosts).toEqual([before.vhosts[0], blog]);
      expect(await events(siteId, 'vhost.added')).toMatchObject([{ actor: 'alice' }]);
      expect((await runVars(siteId)).vhosts).toEqual([
        {
          name: 'default',
          server_name: before.hostname,
          aliases: [],
          web_root: '/var/www/default',
          tls: false,
        },
        {
          name: 'blog',
          server_name: 'blog.example.org',
          aliases: ['www.blog.example.org', 'news.example.org'],
          web_root: '/var/www/blog',
          tls: false,
        },
      ]);

      await applied('removeVhost', { siteId, name: 'blog' });
      expect((await siteConfig(siteId)).vhosts).toEqual(before.vhosts);
      expect(await events(siteId, 'vhost.removed')).toMatchObject([{ actor: 'alice' }]);
      expect((await runVars(siteId)).vhosts.map((vhost) => vhost.name)).toEqual(['default']);
    },
  );

  it.skipIf(skip)(
    'refuses removing the default or an unknown vhost and adding a taken name, writing nothing',
    async () => {
      const siteId = await readySite();
      await applied('addVhost', { siteId, name: 'shop', serverName: 'shop.example.org' });
      const before = await written(siteId);
      const refusals: [ConfigMutation, Record<string, unknown>, string][] = [
        ['removeVhost', { siteId, name: 'default' }, 'VHOST_NOT_FOUND'],
        ['addVhost', { siteId, name: 'shop', serverName: 'other.example.org' }, 'VHOST_EXISTS'],
        ['addVhost', { siteId, name: 'default', serverName: 'd.example.org' }, 'VHOST_EXISTS'],
        ['removeVhost', { siteId, name: 'nowhere' }, 'VHOST_NOT_FOUND'],
      ];
      for (const [name, input, code] of refusals) {
        expect(await mutate(name, input), `${name} ${JSON.stringify(input)}`).toMatchObject({
          code,
          field: 'name',
        });
        expect(await written(siteId)).toEqual(before);
      }
      const shop = (await siteConfig(siteId)).vhosts.find((vhost) => vhost.name === 'shop');
      expect(shop?.serverName).toBe('shop.example.org');
    },
  );

  it.skipIf(skip)(
    'grants and revokes roles, which reach the run but give no access short of ADMIN',
    async () => {
      const siteId = await readySite();
      const sshUser = { siteId, user: 'bob', role: 'SSH_USER' };
      const admin = { siteId, user: 'bob', role: 'ADMIN' };

      await applied('grantSiteRole', sshUser);
      expect((await siteConfig(siteId)).roles).toEqual([
        { user: 'alice', role: 'ADMIN', grantedBy: 'alice' },
        { user: 'bob', role: 'SSH_USER', grantedBy: 'alice' },
      ]);
      expect(await events(siteId, 'role.granted')).toMatchObject([{ actor: 'alice' }]);
      expect((await runVars(siteId)).users).toEqual([
        // Names as the directory has them.
        { uid: 'alice', name: 'Alice Archer', admin: true, ssh_keys: [] },
        { uid: 'bob', name: 'Bob Baker', admin: false, ssh_keys: [] },
      ]);

      // Granted again: the answer is the same, the row is not doubled.
      await applied('grantSiteRole', sshUser);
      expect(
        await forkEm(db.orm).count(SiteRole, { siteId, subject: 'bob', role: 'ssh-user' }),
      ).toBe(1);

      // Logging in to the servers is not administering the site.
      const vhost = { siteId, name: 'bobs', serverName: 'bobs.example.org' };
      expect(await mutate('addVhost', vhost, bob)).toMatchObject({ code: 'SITE_NOT_FOUND' });
      expect(await forkEm(db.orm).count(Vhost, { siteId })).toBe(0);
      await applied('grantSiteRole', admin);
      expect((await runVars(siteId)).users).toContainEqual(
        expect.objectContaining({ uid: 'bob', admin: true }),
      );
      await applied('addVhost', vhost, bob);
      expect(await events(siteId, 'vhost.added')).toMatchObject([{ actor: 'bob' }]);

      await applied('revokeSiteRole', admin);
      expect(await mutate('removeVhost', { siteId, name: 'bobs' }, bob)).toMatchObject({
        code: 'SITE_NOT_FOUND',
      });
      await applied('revokeSiteRole', sshUser);
      expect((await siteConfig(siteId)).roles).toEqual([
        { user: 'alice', role: 'ADMIN', grantedBy: 'alice' },
      ]);
      expect(await events(siteId, 'role.revoked')).toMatchObject([
        { actor: 'alice' },
        { actor: 'alice' },
      ]);
      expect((await runVars(siteId)).users.map((user) => user.uid)).toEqual(['alice']);

      const before = await written(siteId);
      expect(
        await mutate('revokeSiteRole', { siteId, user: 'alice', role: 'ADMIN' }),
      ).toMatchObject({ code: 'LAST_ADMIN', field: 'user' });
      expect(await mutate('revokeSiteRole', sshUser)).toMatchObject({
        code: 'ROLE_NOT_FOUND',
        field: 'user',
      });
      expect(await written(siteId)).toEqual(before);
      expect((await siteConfig(siteId)).roles).toEqual([
        { user: 'alice', role: 'ADMIN', grantedBy: 'alice' },
      ]);
    },
  );

  it.skipIf(skip)('returns the same operation for a repeated idempotency key', async () => {
    const siteId = await readySite();
    const idempotencyKey = uniqueName('add-wiki');
    const wiki = { siteId, idempotencyKey, name: 'wiki', serverName: 'wiki.example.org' };
    const first = await mutate('addVhost', wiki);
    const second = await mutate('addVhost', wiki);
    expect(first).toMatchObject({ __typename: 'SiteOperationPayload' });
    expect(second).toEqual(first);
    expect((await finished(first))?.status).toBe('SUCCEEDED');
    await statusOf(siteId, 'READY');
    expect(await forkEm(db.orm).count(Vhost, { siteId })).toBe(1);
    expect(await events(siteId, 'vhost.added')).toHaveLength(1);

    const before = await written(siteId);
    expect(
      await mutate('addVhost', { ...wiki, name: 'docs', serverName: 'docs.example.org' }),
    ).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', field: 'idempotencyKey' });
    expect(
      await mutate('grantSiteRole', { siteId, idempotencyKey, user: 'bob', role: 'SSH_USER' }),
    ).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await written(siteId)).toEqual(before);
  });

  it.skipIf(skip)(
    'answers concurrent retries of a grant with one operation, one row and one audit entry',
    async () => {
      const siteId = await readySite();
      const grant = { siteId, idempotencyKey: uniqueName('grant'), user: 'dave', role: 'SSH_USER' };
      const answers = await Promise.all([1, 2, 3].map(() => mutate('grantSiteRole', grant)));
      expect(answers[0]).toMatchObject({ __typename: 'SiteOperationPayload' });
      expect(answers.slice(1)).toEqual([answers[0], answers[0]]);
      expect((await finished(answers[0]!))?.status).toBe('SUCCEEDED');
      await statusOf(siteId, 'READY');
      expect(await forkEm(db.orm).count(SiteRole, { siteId, subject: 'dave' })).toBe(1);
      expect(await events(siteId, 'role.granted')).toHaveLength(1);
    },
  );

  it.skipIf(skip)(
    'grants and revokes roles to directory groups, whose members the run lists',
    async () => {
      const siteId = await readySite();
      const webmasters = { siteId, group: 'webmasters', role: 'ADMIN' };

      await applied('grantSiteRole', webmasters);
      const granted = await berth.graphql<{
        site: { roles: { user: string }[]; groupRoles: { group: string; role: string }[] };
      }>(
        `query Roles($id: ID!) { site(id: $id) { roles { user } groupRoles { group role grantedBy } } }`,
        { id: siteId },
        alice,
      );
      expect(granted.data?.site.groupRoles).toEqual([
        { group: 'webmasters', role: 'ADMIN', grantedBy: 'alice' },
      ]);
      expect(granted.data?.site.roles).toEqual([{ user: 'alice' }]);
      expect((await events(siteId, 'role.granted'))[0]?.summary).toContain('group webmasters');
      // The example directory's webmasters are alice and bob.
      expect((await runVars(siteId)).users).toContainEqual(
        expect.objectContaining({ uid: 'bob', admin: true }),
      );

      // A group the directory does not have is refused, unwritten.
      const before = await written(siteId);
      expect(
        await mutate('grantSiteRole', { siteId, group: 'no-such-group', role: 'ADMIN' }),
      ).toMatchObject({ code: 'GROUP_NOT_FOUND', field: 'group' });
      expect(
        await mutate('revokeSiteRole', { siteId, group: 'berth-operators', role: 'ADMIN' }),
      ).toMatchObject({ code: 'ROLE_NOT_FOUND', field: 'group' });
      expect(await written(siteId)).toEqual(before);

      await applied('revokeSiteRole', webmasters);
      expect(await forkEm(db.orm).count(SiteRole, { siteId, subjectType: 'group' })).toBe(0);
      expect((await runVars(siteId)).users.map((user) => user.uid)).toEqual(['alice']);

      // A group with nobody in it yet (the example directory's newsroom) may be granted a role;
      // the run lists nobody more until someone joins it.
      await applied('grantSiteRole', { siteId, group: 'newsroom', role: 'SSH_USER' });
      expect(
        await forkEm(db.orm).find(
          SiteRole,
          { siteId, subjectType: 'group' },
          { fields: ['subject', 'role'] },
        ),
      ).toMatchObject([{ subject: 'newsroom', role: 'ssh-user' }]);
      expect((await runVars(siteId)).users.map((user) => user.uid)).toEqual(['alice']);
    },
  );

  describe('hostile input', () => {
    /** What is sent, to which mutation, and the field the refusal must name. */
    type Case = [string, ConfigMutation, () => Record<string, unknown>, string];
    /** Long values shortened in test names. */
    const shown = (value: string) =>
      value.length > 40
        ? `${value.slice(0, 8)}… (${value.length} characters)`
        : JSON.stringify(value);
    const label63 = 'a'.repeat(63);
    /** The longest server name allowed: 253 characters. */
    const longName = [label63, label63, label63, 'a'.repeat(61)].join('.');
    const vhost = (fields: Record<string, unknown>) => () => ({
      siteId: sharedSiteId,
      name: 'ok',
      serverName: 'ok.example.org',
      ...fields,
    });
    const role = (fields: Record<string, unknown>) => () => ({
      siteId: sharedSiteId,
      user: 'bob',
      role: 'SSH_USER',
      ...fields,
    });
    const aliases = (...names: string[]) => names.map((name) => ({ name }));
    const badNames = [
      '../etc',
      'a/b',
      '..',
      'UPPER',
      '{{ x }}',
      '$(id)',
      'a b',
      'a'.repeat(64),
      '',
    ];
    const badDomains = [
      '*.example.org',
      'example',
      '-x.example.org',
      'x..example.org',
      'x.example.org.',
      `a${longName}`,
      "{{ lookup('pipe','id') }}.example.org",
    ];
    const badUsers = ['root; rm -rf /', 'Alice', '1abc', 'a/b', '{{x}}', `a${'b'.repeat(32)}`];

    const cases: Case[] = [
      ...badNames.flatMap((name): Case[] => [
        [`vhost name ${shown(name)}`, 'addVhost', vhost({ name }), 'name'],
        [
          `removed vhost name ${shown(name)}`,
          'removeVhost',
          () => ({ siteId: sharedSiteId, name }),
          'name',
        ],
      ]),
      ...badDomains.flatMap((domain): Case[] => [
        [`serverName ${shown(domain)}`, 'addVhost', vhost({ serverName: domain }), 'serverName'],
        [
          `alias ${shown(domain)}`,
          'addVhost',
          vhost({ aliases: aliases('fine.example.org', domain) }),
          'aliases.1.name',
        ],
      ]),
      ['vhost name "html" (Debian\'s own web root)', 'addVhost', vhost({ name: 'html' }), 'name'],
      [
        '21 aliases',
        'addVhost',
        vhost({ aliases: aliases(...Array.from({ length: 21 }, (_, i) => `a${i}.example.org`)) }),
        'aliases',
      ],
      ...badUsers.flatMap((user): Case[] => [
        [`user ${shown(user)} granted`, 'grantSiteRole', role({ user }), 'user'],
        [`user ${shown(user)} revoked`, 'revokeSiteRole', role({ user }), 'user'],
      ]),
      ...['Web Team', '*)(uid=*)', 'a,b', '../x', 'x'.repeat(65)].map((group): Case => [
        `group ${shown(group)}`,
        'grantSiteRole',
        role({ group, user: undefined }),
        'group',
      ]),
      ['both a user and a group', 'grantSiteRole', role({ group: 'webmasters' }), 'user'],
      ['neither a user nor a group', 'revokeSiteRole', role({ user: undefined }), 'user'],
      ['an unknown role', 'grantSiteRole', role({ role: 'ROOT' }), 'role'],
      ['a lower-case role value', 'grantSiteRole', role({ role: 'admin' }), 'role'],
      ['a siteId that is not a UUID', 'addVhost', vhost({ siteId: "1' or '1'='1" }), 'siteId'],
      ['a siteId that is not a UUID', 'revokeSiteRole', role({ siteId: '../x' }), 'siteId'],
      ['an unknown field', 'addVhost', vhost({ webRoot: '/etc' }), 'webRoot'],
    ];

    it.skipIf(skip).each(cases)(
      'refuses %s to %s, naming the field, and writes nothing',
      async (_what, name, input, field) => {
        const before = await written(sharedSiteId);
        const totalOperations = await forkEm(db.orm).count(Operation, {});
        const response = await berth.graphql(configMutation(name), { input: input() }, alice);
        expect(response.data ?? null).toBeNull();
        const error = response.errors?.[0];
        expect(error?.extensions?.code, JSON.stringify(response.errors)).toBe('BAD_USER_INPUT');
        // The validation pipe lists the fields; GraphQL's own coercion (an enum value, an unknown
        // field) names the field in its message instead.
        const fields = error?.extensions?.fields as { field: string }[] | undefined;
        if (fields) expect(fields.map((problem) => problem.field)).toContain(field);
        else expect(error?.message).toMatch(new RegExp(`input\\.${field}\\b|Field "${field}"`));
        expect(await written(sharedSiteId)).toEqual(before);
        expect(await forkEm(db.orm).count(Operation, {})).toBe(totalOperations);
      },
    );

    it.skipIf(skip)('takes a 253-character server name and 20 aliases', async () => {
      await applied('addVhost', {
        siteId: sharedSiteId,
        name: label63,
        serverName: longName,
        aliases: aliases(...Array.from({ length: 20 }, (_, i) => `a${i}.example.org`)),
      });
      // Its audit entry fits the summary column (PostgreSQL refused an overlong one).
      const [added] = await events(sharedSiteId, 'vhost.added');
      expect(added?.summary).toContain(longName);
      expect(added!.summary.length).toBeLessThanOrEqual(500);
      await applied('removeVhost', { siteId: sharedSiteId, name: label63 });
    });
  });

  it.skipIf(skip)(
    'refuses changes while the site is suspended or disabled, taking back what it wrote',
    async () => {
      const siteId = await readySite();
      await applied('addVhost', { siteId, name: 'kept', serverName: 'kept.example.org' });
      await applied('grantSiteRole', { siteId, user: 'bob', role: 'SSH_USER' });

      const suspension = await berth.graphql<{ suspendSite: { operation: { id: string } } }>(
        `mutation S($input: SuspendSiteInput!) {
          suspendSite(input: $input) { ... on SiteOperationPayload { operation { id } } }
        }`,
        { input: { siteId, reason: 'abuse report' } },
        operator,
      );
      const suspended = await operationOutcome(suspension.data!.suspendSite.operation.id);
      expect(suspended?.status).toBe('SUCCEEDED');
      await statusOf(siteId, 'SUSPENDED');

      const refusedChanges: [ConfigMutation, Record<string, unknown>][] = [
        ['addVhost', { siteId, name: 'late', serverName: 'late.example.org' }],
        ['removeVhost', { siteId, name: 'kept' }],
        ['grantSiteRole', { siteId, user: 'carol', role: 'SSH_USER' }],
        ['revokeSiteRole', { siteId, user: 'bob', role: 'SSH_USER' }],
      ];
      const refuseAll = async () => {
        const before = await written(siteId);
        const vars = await runVars(siteId);
        for (const [name, input] of refusedChanges) {
          expect(await mutate(name, input), name).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
          expect(await written(siteId), name).toEqual(before);
        }
        // What was taken back and put back is what a run would see.
        expect(await runVars(siteId)).toEqual(vars);
        expect(vars.vhosts.map((vhost) => vhost.name)).toEqual(['default', 'kept']);
        expect(vars.users.map((user) => user.uid)).toEqual(['alice', 'bob']);
      };
      await refuseAll();

      // Unsuspended, the site is disabled, which refuses configuration changes too.
      const unsuspend = await berth.graphql(
        'mutation U($input: SiteChangeInput!) { unsuspendSite(input: $input) { __typename } }',
        { input: { siteId } },
        operator,
      );
      expect(unsuspend.data).toMatchObject({
        unsuspendSite: { __typename: 'SiteOperationPayload' },
      });
      await statusOf(siteId, 'DISABLED');
      await refuseAll();
    },
  );

  it.skipIf(skip)(
    'coalesces 10 concurrent vhost additions into serial runs that apply them all',
    async () => {
      const siteId = await readySite();
      const handle = berth.temporal.workflow.getHandle(siteWorkflowId(siteId));
      const before = (await handle.query(siteStateQuery)).configuration;
      const names = Array.from({ length: 10 }, (_, i) => `site-${i}`);

      const results = await Promise.all(
        names.map((name) =>
          mutate('addVhost', { siteId, name, serverName: `${name}.example.org` }),
        ),
      );
      const operations = await Promise.all(results.map(finished));
      expect(operations.map((op) => op?.status)).toEqual(names.map(() => 'SUCCEEDED'));
      await statusOf(siteId, 'READY');

      const after = (await handle.query(siteStateQuery)).configuration;
      const runs = after.runs - before.runs;
      expect(runs).toBeGreaterThanOrEqual(1);
      expect(runs).toBeLessThanOrEqual(10);
      expect(after.coalesced - before.coalesced).toBe(10 - runs);
      console.log(`10 concurrent vhost additions on ${kind}: ${runs} runs, ${10 - runs} coalesced`);

      // One run at a time: each ends, or hands over to a queued follow-up, before the next starts.
      const actions = (await forkEm(db.orm).find(SiteEvent, { siteId }, { orderBy: { id: 'asc' } }))
        .map((event) => event.action)
        .filter((action) => action.startsWith('site.configur'));
      expect(actions.filter((action) => action === 'site.configuring')).toHaveLength(runs);
      let running = false;
      for (const action of actions) {
        expect(running, actions.join(' ')).toBe(action !== 'site.configuring');
        running = action === 'site.configuring';
      }
      expect(actions.at(-1)).toBe('site.configured');

      expect(await events(siteId, 'vhost.added')).toHaveLength(10);
      expect((await runVars(siteId)).vhosts.map((vhost) => vhost.name).sort()).toEqual(
        ['default', ...names].sort(),
      );
    },
  );

  it.skipIf(skip)(
    'hides the site from another user, writing nothing, and refuses anonymous callers',
    async () => {
      await applied('addVhost', {
        siteId: sharedSiteId,
        name: 'owned',
        serverName: 'owned.example.org',
      });
      const before = await written(sharedSiteId);
      const attempts: [ConfigMutation, Record<string, unknown>][] = [
        ['addVhost', { siteId: sharedSiteId, name: 'mine', serverName: 'mine.example.org' }],
        ['removeVhost', { siteId: sharedSiteId, name: 'owned' }],
        ['grantSiteRole', { siteId: sharedSiteId, user: 'bob', role: 'ADMIN' }],
        ['revokeSiteRole', { siteId: sharedSiteId, user: 'alice', role: 'ADMIN' }],
      ];
      for (const [name, input] of attempts) {
        expect(await mutate(name, input, bob), name).toMatchObject({ code: 'SITE_NOT_FOUND' });
        const anonymous = await berth.graphql(configMutation(name), { input }, null);
        expect(anonymous.errors?.[0]?.extensions?.code, name).toBe('UNAUTHENTICATED');
        expect(await written(sharedSiteId), name).toEqual(before);
      }
      const seenByBob = await berth.graphql<SiteConfigData>(
        siteConfigQuery,
        { id: sharedSiteId },
        bob,
      );
      expect(seenByBob.data?.site).toBeNull();
    },
  );
});
