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
      async addMember(group, uid) {
        const admin = await slapdAdmin(slapd);
        try {
          await admin.modify(
            `cn=${group},${slapd.groupBase}`,
            new Change({
              operation: 'add',
              modification: new Attribute({ type: 'memberUid', values: [uid] }),
            }),
          );
        } finally {
          await admin.unbind();
        }
      },
      stop: () => slapd.stop(),
    };
  },
};

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
        env: directory.env,
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

        const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId: groupSite });
        const dir = await createDirectory({
          config: berth.config,
          log: createLogger({ level: 'silent', name: 'test' }),
        });
        try {
          const { vars } = await siteConfiguration(
            db.orm,
            berth.config.secretKey,
            {
              vmId: vm.id,
              siteId: groupSite,
              hostname: 'h.example.org',
              ipv4: '192.0.2.1',
              ipv6: '2001:db8::1',
            },
            dir,
          );
          expect(vars.berth.users.map((user) => user.uid)).toContain('carol');
          expect(vars.berth.unix_groups).toContainEqual({
            name: 'webmasters',
            members: ['alice', 'bob', 'carol'],
          });
        } finally {
          await dir.close();
        }

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
  },
);
