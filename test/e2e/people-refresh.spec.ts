import { Attribute, Change } from 'ldapts';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { peopleDigest, siteConfiguration, sitePeople } from '../../activities/ansible/site-data';
import { createDirectory } from '../../activities/directory/create-directory';
import { forkEm } from '../../libs/db/orm';
import { ConfigurationRun, Operation, Site, SiteEvent, SiteRole, Vm } from '../../libs/domain';
import { createLogger } from '../../libs/logger';
import { type RefreshSitePeopleResult } from '../../workflows/people';
import { type BerthStack, startBerth } from '../helpers/berth';
import { startDatabase, type TestDatabase } from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import { requestSiteMutation, type RequestSiteData } from '../helpers/graphql-documents';
import {
  type DirectorySeed,
  directoryFixtureFile,
  type Slapd,
  slapdAdmin,
  slapdUnavailable,
  startSlapd,
} from '../helpers/slapd';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * The `site-people-refresh` schedule's workflow end to end: a ready site whose role is granted to
 * a directory group gets one configuration run when the group's members change in the directory
 * (LDAP on a real slapd, and the file adapter), none when nothing changed, and the run's vars list
 * the new member. Sites in other states are left alone.
 */

interface TestDirectory {
  env: Record<string, string>;
  addMember(group: string, uid: string): Promise<void>;
  removeMember(group: string, uid: string): Promise<void>;
  stop(): Promise<void>;
}

const directories: Record<'file' | 'ldap', () => Promise<TestDirectory>> = {
  async file() {
    const dir = await mkdtemp(join(tmpdir(), 'berth-people-'));
    const file = join(dir, 'directory.yml');
    await copyFile(directoryFixtureFile, file);
    return {
      env: { DIRECTORY: 'file', BERTH_DIRECTORY_FILE: file },
      async addMember(group, uid) {
        const data = parse(await readFile(file, 'utf8')) as DirectorySeed;
        data.groups.find((entry) => entry.name === group)!.members.push(uid);
        await writeFile(file, stringify(data));
      },
      async removeMember(group, uid) {
        const data = parse(await readFile(file, 'utf8')) as DirectorySeed;
        const entry = data.groups.find((candidate) => candidate.name === group)!;
        entry.members = entry.members.filter((member) => member !== uid);
        await writeFile(file, stringify(data));
      },
      stop: () => rm(dir, { recursive: true, force: true }),
    };
  },
  async ldap() {
    const slapd: Slapd = await startSlapd();
    return {
      env: {
        DIRECTORY: 'ldap',
        LDAP_URL: slapd.url,
        LDAP_BIND_DN: slapd.bindDn,
        LDAP_BIND_PASSWORD: slapd.bindPassword,
        LDAP_USER_BASE: slapd.userBase,
        LDAP_GROUP_BASE: slapd.groupBase,
      },
      addMember: (group, uid) => changeMembers(slapd, 'add', group, uid),
      removeMember: (group, uid) => changeMembers(slapd, 'delete', group, uid),
      stop: () => slapd.stop(),
    };
  },
};

async function changeMembers(
  slapd: Slapd,
  operation: 'add' | 'delete',
  group: string,
  uid: string,
): Promise<void> {
  const admin = await slapdAdmin(slapd);
  try {
    await admin.modify(
      `cn=${group},${slapd.groupBase}`,
      new Change({ operation, modification: new Attribute({ type: 'memberUid', values: [uid] }) }),
    );
  } finally {
    await admin.unbind();
  }
}

describe.each(['ldap', 'file'] as const)(
  'refreshing sites’ people with the %s directory',
  (adapter) => {
    const skip = temporalUnavailable() ?? (adapter === 'ldap' ? slapdUnavailable() : undefined);
    let temporal: TestTemporal;
    let db: TestDatabase;
    let directory: TestDirectory;
    let berth: BerthStack;
    let groupSite: string;
    let disabledSite: string;

    beforeAll(async () => {
      if (skip) return;
      [temporal, db, directory] = await Promise.all([
        startTemporal(),
        startDatabase('sqlite'),
        directories[adapter](),
      ]);
      berth = await startBerth({
        db,
        temporal,
        taskQueue: uniqueName(`people-${adapter}`),
        // The api asks the directory for callers' groups at least once a second.
        env: { ...directory.env, BERTH_DIRECTORY_CACHE_SECONDS: '1' },
      });
      [groupSite, disabledSite] = await Promise.all([readySite(), readySite()]);
      await disable(disabledSite);
      await forkEm(db.orm).persistAndFlush(
        [groupSite, disabledSite].map(
          (siteId) =>
            new SiteRole({
              id: randomUUID(),
              siteId,
              subjectType: 'group',
              subject: 'webmasters',
              role: 'ssh-user',
              grantedBy: 'olivia',
            }),
        ),
      );
    });
    afterAll(async () => {
      await berth?.stop();
      await Promise.all([temporal?.teardown(), db?.stop(), directory?.stop()]);
    });

    async function readySite(): Promise<string> {
      const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
        input: { name: uniqueName('People'), contactEmail: 'alice@example.org' },
      });
      const result = response.data?.requestSite;
      if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
      await statusOf(result.site.id, 'ready');
      return result.site.id;
    }

    async function disable(siteId: string): Promise<void> {
      const response = await berth.graphql<{ result: { __typename: string } }>(
        `mutation Disable($input: SiteChangeInput!) {
        result: disableSite(input: $input) { __typename }
      }`,
        { input: { siteId } },
      );
      expect(response.data?.result.__typename).toBe('SiteOperationPayload');
      await statusOf(siteId, 'disabled');
    }

    function statusOf(siteId: string, status: Site['status']) {
      return eventually(
        `site ${siteId} becoming ${status}`,
        () => forkEm(db.orm).findOneOrFail(Site, siteId),
        (site) => site.status === status,
      );
    }

    function refresh(): Promise<RefreshSitePeopleResult> {
      return berth.temporal.workflow.execute('refreshSitePeople', {
        workflowId: uniqueName('people-refresh'),
        taskQueue: berth.config.temporal.taskQueue,
        args: [{}],
      });
    }

    /** The system's configure operations on a site, oldest first. */
    function refreshOperations(siteId: string) {
      return forkEm(db.orm).find(
        Operation,
        { siteId, kind: 'configure', requestedBy: 'system' },
        { orderBy: { createdAt: 'asc' } },
      );
    }

    /** Waits for the site's latest operation to succeed and the site to be ready again. */
    async function applied(siteId: string): Promise<void> {
      const operations = await refreshOperations(siteId);
      const last = operations.at(-1)!;
      await eventually(
        `operation ${last.id} finishing`,
        () => forkEm(db.orm).findOneOrFail(Operation, last.id),
        (operation) => operation.status !== 'running',
      ).then((operation) => expect(operation.status).toBe('succeeded'));
      await statusOf(siteId, 'ready');
    }

    /** The site's people as the directory has them now, and the digest of its last good run. */
    async function digests(siteId: string) {
      const dir = await createDirectory({
        config: berth.config,
        log: createLogger({ level: 'silent', name: 'test' }),
      });
      try {
        const run = await forkEm(db.orm).findOne(
          ConfigurationRun,
          { siteId, status: 'succeeded' },
          { orderBy: { finishedAt: 'desc' } },
        );
        return {
          now: peopleDigest(await sitePeople(db.orm, siteId, dir)),
          applied: run?.peopleDigest ?? null,
        };
      } finally {
        await dir.close();
      }
    }

    /** What the site's next configuration run would be given, from the directory as it is now. */
    async function configuration(siteId: string) {
      const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId });
      const dir = await createDirectory({
        config: berth.config,
        log: createLogger({ level: 'silent', name: 'test' }),
      });
      try {
        const target = {
          vmId: vm.id,
          siteId,
          hostname: 'h.example.org',
          ipv4: '192.0.2.1',
          ipv6: '2001:db8::1',
        };
        return (await siteConfiguration(db.orm, berth.config.secretKey, target, dir)).vars;
      } finally {
        await dir.close();
      }
    }

    it.skipIf(skip)(
      'configures a site once when its group changes, and not otherwise',
      async () => {
        // Runs before this feature recorded no digest: the first refresh configures the site.
        await forkEm(db.orm).nativeUpdate(
          ConfigurationRun,
          { siteId: groupSite },
          { peopleDigest: null },
        );
        expect(await refresh()).toEqual({ checked: 1, changed: 1, requested: 1, refused: 0 });
        await applied(groupSite);
        const first = await digests(groupSite);
        expect(first.applied).toBe(first.now);

        expect(await refresh()).toEqual({ checked: 1, changed: 0, requested: 0, refused: 0 });
        expect(await refreshOperations(groupSite)).toHaveLength(1);

        await directory.addMember('webmasters', 'carol');
        expect(await refresh()).toEqual({ checked: 1, changed: 1, requested: 1, refused: 0 });
        await applied(groupSite);
        expect(await refreshOperations(groupSite)).toHaveLength(2);
        const second = await digests(groupSite);
        expect(second.applied).toBe(second.now);
        expect(second.now).not.toBe(first.now);

        const vars = await configuration(groupSite);
        expect(vars.berth.users.map((user) => user.uid)).toContain('carol');
        expect(vars.berth.unix_groups).toContainEqual({
          name: 'webmasters',
          members: ['alice', 'bob', 'carol'],
        });

        const events = await forkEm(db.orm).find(SiteEvent, {
          siteId: groupSite,
          action: 'site.people-changed',
        });
        expect(events).toHaveLength(2);
        expect(events[1]).toMatchObject({ actor: 'system' });
        expect(events[1]!.summary).toContain('carol');

        // The disabled site was never checked, configured or audited.
        expect(await refreshOperations(disabledSite)).toHaveLength(0);
        expect(
          await forkEm(db.orm).count(SiteEvent, {
            siteId: disabledSite,
            action: 'site.people-changed',
          }),
        ).toBe(0);
        expect((await forkEm(db.orm).findOneOrFail(Site, disabledSite)).status).toBe('disabled');
      },
      120_000,
    );

    it.skipIf(skip)(
      "gives a group's new member the site on the api and the server, and takes it away when they leave",
      async () => {
        // alice, the site's admin, grants the editors group the admin role through the api.
        const granted = await berth.graphql<{ grantSiteRole: { __typename: string } }>(
          `mutation Grant($input: SiteRoleInput!) { grantSiteRole(input: $input) { __typename } }`,
          { input: { siteId: groupSite, group: 'editors', role: 'ADMIN' } },
        );
        expect(granted.data?.grantSiteRole.__typename).toBe('SiteOperationPayload');
        await eventually(
          'the grant being applied',
          () => forkEm(db.orm).count(Operation, { siteId: groupSite, status: 'running' }),
          (running) => running === 0,
        );
        await statusOf(groupSite, 'ready');

        // dave holds a token of his own, whose groups the api asks the directory for.
        const made = await berth.graphql<{ createApiToken: { secret?: string } }>(
          `mutation Token($input: CreateApiTokenInput!) {
            createApiToken(input: $input) { ... on CreateApiTokenPayload { secret } }
          }`,
          { input: { name: 'dave', scopes: ['READ_ONLY'] } },
          { userId: 'dave' },
        );
        const daveToken = made.data!.createApiToken.secret!;
        const daveSees = async () => {
          const response = await fetch(`${berth.apiUrl}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${daveToken}` },
            body: JSON.stringify({ query: '{ site(id: "' + groupSite + '") { id } }' }),
          });
          const body = (await response.json()) as { data?: { site: { id: string } | null } };
          return body.data?.site?.id === groupSite;
        };
        const serverUsers = async () =>
          (await configuration(groupSite)).berth.users.map((user) => user.uid);
        expect(await daveSees()).toBe(false);

        // He joins the group: the api lets him in within its cache time, the refresh configures
        // the server with him.
        await directory.addMember('editors', 'dave');
        await eventually('dave seeing the site', daveSees, (sees) => sees, 10_000);
        expect(await refresh()).toMatchObject({ changed: 1, requested: 1 });
        await applied(groupSite);
        expect(await serverUsers()).toContain('dave');
        const withDave = await digests(groupSite);
        expect(withDave.applied).toBe(withDave.now);

        // He leaves it: both are taken away the same way.
        await directory.removeMember('editors', 'dave');
        await eventually('dave no longer seeing the site', daveSees, (sees) => !sees, 10_000);
        expect(await refresh()).toMatchObject({ changed: 1, requested: 1 });
        await applied(groupSite);
        expect(await serverUsers()).not.toContain('dave');
        const withoutDave = await digests(groupSite);
        expect(withoutDave.applied).toBe(withoutDave.now);
        expect(withoutDave.now).not.toBe(withDave.now);
        const last = await forkEm(db.orm).find(
          SiteEvent,
          { siteId: groupSite, action: 'site.people-changed' },
          { orderBy: { id: 'desc' } },
        );
        // The audit lists the users as they are now: dave no longer among them.
        expect(last[0]!.summary).toContain('carol');
        expect(last[0]!.summary).not.toContain('dave');
        expect(last[1]!.summary).toContain('dave');
      },
      120_000,
    );
  },
);
