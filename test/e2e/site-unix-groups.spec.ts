import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleDirectoryFile } from '../../activities/directory/create-directory';
import { FileDirectory } from '../../activities/directory/file/file-directory';
import { siteConfiguration } from '../../activities/ansible/site-data';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { forkEm } from '../../libs/db/orm';
import { Operation, SiteEvent, SiteUnixGroup } from '../../libs/domain';
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
 * A site's own unix groups end to end: made, changed and removed by its admins with members
 * from its users, reaching the configuration run's `unix_groups`; names taken by users, by
 * role-holding directory groups or by system groups, and members who are not site users, are
 * refused and change nothing; a member who stops being a site user is left out of runs.
 */

const alice: DevTokenOptions = { userId: 'alice' };
const bob: DevTokenOptions = { userId: 'bob' };
const operator: DevTokenOptions = { userId: 'olivia', operator: true };

type Mutation = 'setSiteUnixGroup' | 'removeSiteUnixGroup' | 'grantSiteRole' | 'revokeSiteRole';
const inputTypes: Record<Mutation, string> = {
  setSiteUnixGroup: 'SiteUnixGroupInput',
  removeSiteUnixGroup: 'RemoveSiteUnixGroupInput',
  grantSiteRole: 'SiteRoleInput',
  revokeSiteRole: 'SiteRoleInput',
};

interface Answer {
  __typename: string;
  code?: string;
  field?: string | null;
  operation?: { id: string };
}

const document = (name: Mutation) => `
  mutation Change($input: ${inputTypes[name]}!) {
    result: ${name}(input: $input) {
      __typename
      ... on SiteOperationPayload { operation { id } }
      ... on UserError { code field }
    }
  }`;

describe.each(databaseKinds)('site unix groups on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  let siteId: string;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName(`unix-groups-${kind}`) });
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('Groups'), contactEmail: 'alice@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    siteId = result.site.id;
    await ready();
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  function ready() {
    return eventually(
      `site ${siteId} becoming READY`,
      async () =>
        (
          await berth.graphql<{
            site: { status: string; unixGroups: { name: string; members: string[] }[] };
          }>(
            'query S($id: ID!) { site(id: $id) { status unixGroups { name members } } }',
            { id: siteId },
            operator,
          )
        ).data?.site,
      (site) => site?.status === 'READY',
    );
  }

  async function send(name: Mutation, fields: Record<string, unknown>, as = alice) {
    const response = await berth.graphql<{ result: Answer }>(
      document(name),
      { input: { siteId, ...fields } },
      as,
    );
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.result;
  }

  async function applied(name: Mutation, fields: Record<string, unknown>) {
    const answer = await send(name, fields);
    if (!answer.operation) throw new Error(`refused: ${JSON.stringify(answer)}`);
    const operation = await eventually(
      `operation ${answer.operation.id} finishing`,
      async () =>
        (await berth.graphql<OperationData>(operationQuery, { id: answer.operation!.id })).data
          ?.operation,
      (op) => op?.status === 'SUCCEEDED' || op?.status === 'FAILED',
    );
    expect(operation?.status).toBe('SUCCEEDED');
    return ready();
  }

  async function runGroups() {
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
      new FileDirectory(exampleDirectoryFile),
    );
    return vars.berth.unix_groups;
  }

  async function footprint() {
    const em = forkEm(db.orm);
    return {
      groups: (await em.find(SiteUnixGroup, { siteId }, { orderBy: { name: 'asc' } })).map(
        (group) => [group.name, group.members.join(',')],
      ),
      operations: await em.count(Operation, {}),
      events: await em.count(SiteEvent, { siteId }),
    };
  }

  it.skipIf(skip)(
    "makes, changes and removes a group of the site's users, which the run lists",
    async () => {
      await applied('grantSiteRole', { user: 'bob', role: 'SSH_USER' });
      let site = await applied('setSiteUnixGroup', {
        name: 'publishers',
        members: ['bob', 'alice', 'bob'],
      });
      expect(site?.unixGroups).toEqual([{ name: 'publishers', members: ['alice', 'bob'] }]);
      expect(await runGroups()).toContainEqual({ name: 'publishers', members: ['alice', 'bob'] });
      expect(
        await forkEm(db.orm).find(SiteEvent, { siteId, action: 'unix-group.added' }),
      ).toMatchObject([{ actor: 'alice' }]);

      site = await applied('setSiteUnixGroup', { name: 'publishers', members: ['alice'] });
      expect(site?.unixGroups).toEqual([{ name: 'publishers', members: ['alice'] }]);
      expect(await runGroups()).toContainEqual({ name: 'publishers', members: ['alice'] });

      // A member who stops being a site user is left out of runs, not out of the row.
      await applied('setSiteUnixGroup', { name: 'publishers', members: ['alice', 'bob'] });
      await applied('revokeSiteRole', { user: 'bob', role: 'SSH_USER' });
      expect(await runGroups()).toContainEqual({ name: 'publishers', members: ['alice'] });

      site = await applied('removeSiteUnixGroup', { name: 'publishers' });
      expect(site?.unixGroups).toEqual([]);
      expect((await runGroups()).map((group) => group.name)).not.toContain('publishers');
      const before = await footprint();
      expect(await send('removeSiteUnixGroup', { name: 'publishers' })).toMatchObject({
        code: 'UNIX_GROUP_NOT_FOUND',
        field: 'name',
      });
      expect(await footprint()).toEqual(before);
    },
  );

  it.skipIf(skip)(
    'refuses taken names and members who are not site users, writing nothing',
    async () => {
      await applied('grantSiteRole', { group: 'webmasters', role: 'ADMIN' });
      const cases: [Record<string, unknown>, string, string][] = [
        [{ name: 'root', members: [] }, 'UNIX_GROUP_NAME_TAKEN', 'name'],
        [{ name: 'site-admins', members: [] }, 'UNIX_GROUP_NAME_TAKEN', 'name'],
        [{ name: 'www-data', members: [] }, 'UNIX_GROUP_NAME_TAKEN', 'name'],
        [{ name: 'alice', members: [] }, 'UNIX_GROUP_NAME_TAKEN', 'name'],
        [{ name: 'webmasters', members: [] }, 'UNIX_GROUP_NAME_TAKEN', 'name'],
        [{ name: 'team', members: ['alice', 'carol'] }, 'UNIX_GROUP_MEMBER_UNKNOWN', 'members.1'],
        [{ name: 'team', members: ['nobody'] }, 'UNIX_GROUP_MEMBER_UNKNOWN', 'members.0'],
      ];
      for (const [fields, code, field] of cases) {
        const before = await footprint();
        expect(await send('setSiteUnixGroup', fields), JSON.stringify(fields)).toMatchObject({
          code,
          field,
        });
        expect(await footprint()).toEqual(before);
      }
      // Bob is a site user through the directory group: he may be a member.
      await applied('setSiteUnixGroup', { name: 'team', members: ['bob'] });
      expect(await runGroups()).toContainEqual({ name: 'team', members: ['bob'] });
      await applied('removeSiteUnixGroup', { name: 'team' });
      await applied('revokeSiteRole', { group: 'webmasters', role: 'ADMIN' });
    },
  );

  it.skipIf(skip)(
    'hides the site from others and refuses hostile input, writing nothing',
    async () => {
      const before = await footprint();
      expect(await send('setSiteUnixGroup', { name: 'mine', members: [] }, bob)).toMatchObject({
        code: 'SITE_NOT_FOUND',
      });
      const hostile: Record<string, unknown>[] = [
        { name: 'Editors', members: [] },
        { name: '../x', members: [] },
        { name: '$(id)', members: [] },
        { name: 'a'.repeat(33), members: [] },
        { name: 'team', members: ['Bob'] },
        { name: 'team', members: ['bob;id'] },
        { name: 'team', members: Array.from({ length: 201 }, (_, i) => `u${i}`) },
      ];
      for (const fields of hostile) {
        const response = await berth.graphql(
          document('setSiteUnixGroup'),
          { input: { siteId, ...fields } },
          alice,
        );
        expect(response.errors?.[0]?.extensions?.code, JSON.stringify(fields)).toBe(
          'BAD_USER_INPUT',
        );
      }
      expect(await footprint()).toEqual(before);
    },
  );
});
