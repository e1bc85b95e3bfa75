import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { forkEm } from '../../libs/db/orm';
import {
  AuditEvent,
  NetworkConfig,
  Operation,
  type OperationKind,
  type OperationStatus,
  Site,
  SiteEvent,
  SiteNote,
  SiteRole,
  type SiteStatus,
  siteStatuses,
  Vm,
  type VmStatus,
} from '../../libs/domain';
import { type BerthStack, type GraphQLResponse, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * Operators' tools end to end, on both databases: searching sites, fleet statistics, the e-mail
 * list of site admins, and notes on sites. Everything is seeded as rows (no workflow runs), so
 * every count is known; the directory is a YAML file of this test's own.
 */

const operator: DevTokenOptions = { userId: 'olivia', operator: true };
const alice: DevTokenOptions = { userId: 'alice' };

const directoryYaml = `
users:
  - { uid: alice, name: Alice, mail: alice@example.org }
  - { uid: bob, name: Bob, mail: bob@example.org }
  - { uid: carol, name: Carol, mail: carol@example.org }
  - { uid: dave, name: Dave }
  - { uid: erin, name: Erin, mail: erin@example.org }
  - { uid: frank, name: Frank, mail: frank@example.org }
  - { uid: gina, name: Gina, mail: gina@example.org }
  - { uid: henry, name: Henry, mail: henry@example.org }
  - { uid: owen, name: Owen, mail: owen@example.org }
  - { uid: olivia, name: Olivia, mail: olivia@example.org }
  - { uid: otto, name: Otto, mail: otto@example.org }
groups:
  - { name: site-team, members: [carol, erin] }
  - { name: berth-operators, members: [olivia, otto] }
`;

interface SeededSite {
  name: string;
  status: SiteStatus;
  owner: string;
  contactEmail: string;
  hostnameLabel?: string;
  /** An allocated address of the default pools, with this host name. */
  hostname?: string;
  /** Subjects of admin roles: `user` or `group:name`. */
  admins?: string[];
  sshUsers?: string[];
}

/** The sites every test here reads; `key` names them in assertions. */
function seededSites(prefix: string): Record<string, SeededSite> {
  return {
    percent: {
      name: `${prefix} 100% off`,
      status: 'ready',
      owner: 'owen',
      contactEmail: 'owner1@example.org',
      admins: ['alice', 'group:site-team'],
      sshUsers: ['henry'],
    },
    underscore: {
      name: `${prefix} a_b`,
      status: 'disabled',
      owner: 'carol',
      contactEmail: 'alice@example.org',
      admins: ['bob', 'dave'],
    },
    lookalike: {
      name: `${prefix} axb`,
      status: 'suspended',
      owner: 'carol',
      contactEmail: 'BOB@example.org',
      hostnameLabel: `${prefix}-label`,
    },
    backslash: {
      name: `${prefix} back\\slash`,
      status: 'ready',
      owner: 'carol',
      contactEmail: 'c-contact@example.org',
      admins: ['ghost'],
    },
    hosted: {
      name: `${prefix} plain`,
      status: 'quarantined',
      owner: 'carol',
      contactEmail: 'hosted@example.org',
      hostname: `${prefix}-web.example.org`,
    },
    cancelled: {
      name: `${prefix} cancelled`,
      status: 'cancelled',
      owner: 'carol',
      contactEmail: 'cancelled@example.org',
      admins: ['frank'],
    },
    deleted: {
      name: `${prefix} deleted`,
      status: 'deleted',
      owner: 'carol',
      contactEmail: 'deleted@example.org',
      admins: ['gina'],
    },
  };
}

describe.each(databaseKinds)('operator tools on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  const prefix = uniqueName('ops');
  const sites = seededSites(prefix);
  const ids = new Map<string, string>();
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  let folder: string;
  let statements: string[] = [];

  beforeAll(async () => {
    if (skip) return;
    folder = mkdtempSync(join(tmpdir(), 'berth-operator-tools-'));
    writeFileSync(join(folder, 'directory.yml'), directoryYaml);
    [temporal, db] = await Promise.all([
      startTemporal(),
      startDatabase(kind, { onQuery: (sql) => statements.push(sql) }),
    ]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('operator-tools'),
      worker: false,
      env: { DIRECTORY: 'file', BERTH_DIRECTORY_FILE: join(folder, 'directory.yml') },
    });
    await seed();
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  async function seed(): Promise<void> {
    const em = forkEm(db.orm);
    let offset = 10;
    for (const [key, seeded] of Object.entries(sites)) {
      const id = randomUUID();
      ids.set(key, id);
      const site = new Site({
        id,
        name: seeded.name,
        description: '',
        owner: seeded.owner,
        contactEmail: seeded.contactEmail,
        hostnameLabel: seeded.hostnameLabel ?? null,
      });
      site.status = seeded.status;
      em.persist(site);
      for (const subject of seeded.admins ?? []) em.persist(aRole(id, subject, 'admin'));
      for (const subject of seeded.sshUsers ?? []) em.persist(aRole(id, subject, 'ssh-user'));
      if (seeded.hostname) em.persist(anAddress(id, seeded.hostname, offset++));
    }
    await em.flush();
  }

  async function query<T>(
    text: string,
    variables: Record<string, unknown> = {},
    as = operator,
  ): Promise<GraphQLResponse<T>> {
    return berth.graphql<T>(text, variables, as);
  }

  describe('searching sites', () => {
    const searchQuery = /* GraphQL */ `
      query Search($search: String, $status: [SiteStatus!]) {
        sites(first: 50, filter: { search: $search, status: $status }, orderBy: NAME_ASC) {
          totalCount
          edges {
            node {
              id
            }
          }
        }
      }
    `;
    type Found = { sites: { totalCount: number; edges: { node: { id: string } }[] } };

    async function found(search: string, as = operator, status?: string[]): Promise<string[]> {
      const response = await query<Found>(searchQuery, { search, status }, as);
      if (!response.data) throw new Error(JSON.stringify(response.errors));
      const keys = response.data.sites.edges.map(
        (edge) => [...ids.entries()].find(([, id]) => id === edge.node.id)?.[0] ?? edge.node.id,
      );
      expect(response.data.sites.totalCount).toBe(keys.length);
      return keys.sort();
    }

    it.skipIf(skip)('takes %, _ and \\ literally', async () => {
      expect(await found('%')).toEqual(['percent']);
      expect(await found('0% o')).toEqual(['percent']);
      expect(await found('_')).toEqual(['underscore']);
      // An unescaped _ would match the x of "axb" too.
      expect(await found('a_b')).toEqual(['underscore']);
      expect(await found('\\')).toEqual(['backslash']);
      expect(await found('\\s')).toEqual(['backslash']);
    });

    it.skipIf(skip)(
      'finds sites by name, host name, owner and role holder, in any case',
      async () => {
        expect(await found(`${prefix.toUpperCase()} PLAIN`)).toEqual(['hosted']);
        expect(await found(`${prefix}-WEB.example`)).toEqual(['hosted']);
        expect(await found(`${prefix}-label`)).toEqual(['lookalike']);
        expect(await found('owen')).toEqual(['percent']);
        expect(await found('ghost')).toEqual(['backslash']);
        expect(await found('site-team')).toEqual(['percent']);
        expect(await found('henry')).toEqual(['percent']);
        expect(await found(prefix, operator, ['READY', 'DISABLED'])).toEqual([
          'backslash',
          'percent',
          'underscore',
        ]);
      },
    );

    it.skipIf(skip)('finds only their own sites for anyone but an operator', async () => {
      expect(await found(prefix, alice)).toEqual(['percent']);
      expect(await found('%', alice)).toEqual(['percent']);
      expect(await found('a_b', alice)).toEqual([]);
      expect(await found('ghost', alice)).toEqual([]);
      expect(await found(prefix, { userId: 'nobody' })).toEqual([]);
    });

    it.skipIf(skip)('refuses control characters and text over 100 characters', async () => {
      for (const search of ['a\u0000b', 'a\nb', 'a\u001bb', 'a\u2028b', 'x'.repeat(101), '']) {
        const response = await query(searchQuery, { search });
        expect(response.errors?.[0]?.extensions?.code, JSON.stringify(search)).toBe(
          'BAD_USER_INPUT',
        );
      }
      expect(await found('x'.repeat(100))).toEqual([]);
    });
  });

  describe('fleet statistics', () => {
    const statisticsQuery = /* GraphQL */ `
      query {
        fleetStatistics {
          siteCount
          sites {
            status
            count
          }
          vms {
            host
            status
            count
          }
          addresses {
            family
            pools
            capacity
            allocated
            held
            free
          }
          runningOperations
          failedOperations
          operations {
            kind
            running
            succeeded
            failed
          }
        }
        addressPools {
          family
          capacity
        }
      }
    `;
    interface Statistics {
      fleetStatistics: {
        siteCount: number;
        sites: { status: string; count: number }[];
        vms: { host: string | null; status: string; count: number }[];
        addresses: {
          family: string;
          pools: number;
          capacity: number;
          allocated: number;
          held: number;
          free: number;
        }[];
        runningOperations: number;
        failedOperations: number;
        operations: { kind: string; running: number; succeeded: number; failed: number }[];
      };
      addressPools: { family: string; capacity: number }[];
    }

    const hour = 60 * 60 * 1000;

    beforeAll(async () => {
      if (skip) return;
      const em = forkEm(db.orm);
      const vms: [string | null, VmStatus][] = [
        ['host-1', 'ready'],
        ['host-1', 'ready'],
        ['host-1', 'configuring'],
        ['host-2', 'ready'],
        [null, 'pooled'],
        [null, 'pooled'],
      ];
      for (const [host, status] of vms) em.persist(aVm(host, status));
      const site = ids.get('percent')!;
      const operations: [OperationKind, OperationStatus, number | null][] = [
        ['provision', 'running', null],
        ['provision', 'running', null],
        ['evacuate-host', 'running', null],
        ['configure', 'failed', 1],
        ['configure', 'failed', 30],
        ['configure', 'succeeded', 2],
        ['configure', 'succeeded', 23],
        ['reboot', 'succeeded', 72],
      ];
      for (const [operationKind, status, hoursAgo] of operations) {
        const operation = new Operation({
          id: randomUUID(),
          siteId: operationKind === 'evacuate-host' ? null : site,
          kind: operationKind,
          workflowId: `test/${randomUUID()}`,
        });
        operation.status = status;
        if (hoursAgo !== null) operation.finishedAt = new Date(Date.now() - hoursAgo * hour);
        em.persist(operation);
      }
      // Released addresses: one still held, one whose hold has ended.
      for (const [offset, holdHours] of [
        [40, 5],
        [41, -5],
      ] as const) {
        const address = anAddress(null, `${prefix}-held-${offset}.example.org`, offset);
        address.state = 'held';
        address.holdUntil = new Date(Date.now() + holdHours * hour);
        em.persist(address);
      }
      await em.flush();
    });

    it.skipIf(skip)('counts what the database holds', async () => {
      const response = await query<Statistics>(statisticsQuery);
      const data = response.data;
      if (!data) throw new Error(JSON.stringify(response.errors));
      const statistics = data.fleetStatistics;
      const seeded = Object.values(sites).map((site) => site.status);
      expect(statistics.siteCount).toBe(seeded.length);
      expect(statistics.sites).toEqual(
        siteStatuses.map((status) => ({
          status: status.toUpperCase().replace('-', '_'),
          count: seeded.filter((s) => s === status).length,
        })),
      );
      expect(statistics.vms).toEqual([
        { host: null, status: 'pooled', count: 2 },
        { host: 'host-1', status: 'configuring', count: 1 },
        { host: 'host-1', status: 'ready', count: 2 },
        { host: 'host-2', status: 'ready', count: 1 },
      ]);
      expect(statistics.runningOperations).toBe(3);
      expect(statistics.failedOperations).toBe(1);
      expect(statistics.operations).toEqual([
        { kind: 'CONFIGURE', running: 0, succeeded: 2, failed: 1 },
        { kind: 'EVACUATE_HOST', running: 1, succeeded: 0, failed: 0 },
        { kind: 'PROVISION', running: 2, succeeded: 0, failed: 0 },
      ]);
      // One allocated (the hosted site's) and one held address in each default pool.
      const capacity = (family: string) =>
        data.addressPools.filter((p) => p.family === family).reduce((n, p) => n + p.capacity, 0);
      expect(statistics.addresses).toEqual(
        ['IPV4', 'IPV6'].map((family) => ({
          family,
          pools: 1,
          capacity: capacity(family),
          allocated: 1,
          held: 1,
          free: capacity(family) - 2,
        })),
      );
    });

    it.skipIf(skip)('reads the same few statements however much there is', async () => {
      statements = [];
      await query<Statistics>('{ fleetStatistics { siteCount } }');
      const before = sqlIn(statements).length;
      // Sites, VMs, operations, the pools and their usage per family.
      expect(before, sqlIn(statements).join('\n')).toBeLessThanOrEqual(6);
      const em = forkEm(db.orm);
      for (let i = 0; i < 20; i++) em.persist(aVm(`extra-host-${i}`, 'ready'));
      await em.flush();
      statements = [];
      const response = await query<Statistics>('{ fleetStatistics { vms { count } } }');
      expect(response.data?.fleetStatistics.vms.length).toBe(24);
      expect(sqlIn(statements).length).toBe(before);
    });

    it.skipIf(skip)('is for operators only', async () => {
      const readOnlyOperator: DevTokenOptions = { ...operator, scopes: ['sites:read'] };
      for (const as of [alice, readOnlyOperator]) {
        const response = await query('{ fleetStatistics { siteCount } }', {}, as);
        expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
    });
  });

  describe('the e-mail list of site admins', () => {
    const emailsQuery = /* GraphQL */ `
      query Emails($status: [SiteStatus!]) {
        siteAdminEmails(status: $status) {
          siteCount
          addresses
          withoutAddress
        }
      }
    `;
    interface Emails {
      siteAdminEmails: { siteCount: number; addresses: string[]; withoutAddress: string[] };
    }

    it.skipIf(skip)(
      "lists live sites' contacts and admins once each, groups expanded",
      async () => {
        const response = await query<Emails>(emailsQuery);
        const list = response.data?.siteAdminEmails;
        if (!list) throw new Error(JSON.stringify(response.errors));
        expect(list.siteCount).toBe(5);
        // bob@ is both BOB@'s contact address and bob's own: one entry, whatever its case.
        expect(list.addresses.map((address) => address.toLowerCase())).toEqual([
          'alice@example.org',
          'bob@example.org',
          'c-contact@example.org',
          'carol@example.org',
          'erin@example.org',
          'hosted@example.org',
          'owner1@example.org',
        ]);
        // Not the cancelled or deleted sites' people, nor an SSH user, nor the owner as such.
        expect(list.withoutAddress).toEqual(['dave', 'ghost']);
        // Handing out the list is audited.
        const audit = await forkEm(db.orm).find(AuditEvent, {
          action: 'site-admin-emails.listed',
        });
        expect(audit.map((event) => [event.actor, event.summary])).toContainEqual([
          'olivia',
          expect.stringMatching(/^7 addresses of the admins of 5 sites \(requested, .*failed\)$/),
        ]);
      },
    );

    it.skipIf(skip)('lists the sites of the given statuses only', async () => {
      const response = await query<Emails>(emailsQuery, { status: ['DISABLED'] });
      expect(response.data?.siteAdminEmails).toEqual({
        siteCount: 1,
        addresses: ['alice@example.org', 'bob@example.org'],
        withoutAddress: ['dave'],
      });
      for (const status of ['CANCELLED', 'DELETED']) {
        const refused = await query<Emails>(emailsQuery, { status: ['READY', status] });
        expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
    });

    it.skipIf(skip)('is for operators only', async () => {
      const listed = () => forkEm(db.orm).count(AuditEvent, { action: 'site-admin-emails.listed' });
      const before = await listed();
      const response = await query<Emails>(emailsQuery, {}, alice);
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(response.data?.siteAdminEmails).toBeUndefined();
      expect(await listed()).toBe(before);
    });
  });

  describe("operators' notes", () => {
    const addNote = /* GraphQL */ `
      mutation Add($input: AddSiteNoteInput!) {
        addSiteNote(input: $input) {
          __typename
          ... on SiteNotePayload {
            note {
              id
              siteId
              author
              body
            }
          }
          ... on UserError {
            code
          }
        }
      }
    `;
    const deleteNote = /* GraphQL */ `
      mutation Delete($input: DeleteSiteNoteInput!) {
        deleteSiteNote(input: $input) {
          __typename
          ... on DeleteSiteNotePayload {
            id
            siteId
          }
          ... on UserError {
            code
          }
        }
      }
    `;
    const siteNotes = /* GraphQL */ `
      query Notes($id: ID!) {
        site(id: $id) {
          name
          notes {
            id
            author
            body
          }
        }
      }
    `;
    interface Added {
      addSiteNote: {
        __typename: string;
        code?: string;
        note?: { id: string; siteId: string; author: string; body: string };
      };
    }
    interface Deleted {
      deleteSiteNote: { __typename: string; code?: string; id?: string; siteId?: string };
    }
    interface Notes {
      site: { name: string; notes: { id: string; author: string; body: string }[] | null } | null;
    }

    async function add(siteId: string, body: string, as = operator) {
      return query<Added>(addNote, { input: { siteId, body } }, as);
    }

    function auditOf(siteId: string) {
      return forkEm(db.orm).find(AuditEvent, { target: siteId }, { orderBy: { createdAt: 'asc' } });
    }

    it.skipIf(skip)(
      'keeps notes with their audit, shown to operators only and never in the site log',
      async () => {
        const siteId = ids.get('percent')!;
        const eventsBefore = await forkEm(db.orm).count(SiteEvent, { siteId });
        const first = await add(siteId, 'called the owner\nwill renew in May');
        expect(first.data?.addSiteNote).toMatchObject({
          __typename: 'SiteNotePayload',
          note: { siteId, author: 'olivia', body: 'called the owner\nwill renew in May' },
        });
        const second = await add(siteId, 'renewed', { userId: 'otto', operator: true });
        const secondId = second.data?.addSiteNote.note?.id;

        const asOperator = await query<Notes>(siteNotes, { id: siteId });
        expect(asOperator.data?.site?.notes?.map((note) => [note.author, note.body])).toEqual([
          ['otto', 'renewed'],
          ['olivia', 'called the owner\nwill renew in May'],
        ]);
        // The site's admin reads the site, and no notes (null, not an error).
        const asAdmin = await query<Notes>(siteNotes, { id: siteId }, alice);
        expect(asAdmin.errors).toBeUndefined();
        expect(asAdmin.data?.site).toEqual({ name: sites.percent!.name, notes: null });

        const audit = await auditOf(siteId);
        expect(audit.map((event) => [event.actor, event.action])).toEqual([
          ['olivia', 'site-note.added'],
          ['otto', 'site-note.added'],
        ]);
        expect(audit[0]!.summary).toContain('will renew in May');
        expect(await forkEm(db.orm).count(SiteEvent, { siteId })).toBe(eventsBefore);

        // Any operator may delete a note; its text stays in the audit log.
        const deleted = await query<Deleted>(deleteNote, { input: { id: secondId } });
        expect(deleted.data?.deleteSiteNote).toEqual({
          __typename: 'DeleteSiteNotePayload',
          id: secondId,
          siteId,
        });
        expect(await forkEm(db.orm).count(SiteNote, { id: secondId! })).toBe(0);
        const again = await query<Deleted>(deleteNote, { input: { id: secondId } });
        expect(again.data?.deleteSiteNote).toMatchObject({ code: 'SITE_NOTE_NOT_FOUND' });
        const after = await auditOf(siteId);
        expect(after.map((event) => [event.actor, event.action])).toEqual([
          ['olivia', 'site-note.added'],
          ['otto', 'site-note.added'],
          ['olivia', 'site-note.deleted'],
        ]);
        expect(after[2]!.summary).toContain('renewed');
      },
    );

    it.skipIf(skip)('refuses anyone but an operator, and changes nothing then', async () => {
      const siteId = ids.get('underscore')!;
      const kept = (await add(siteId, 'kept')).data?.addSiteNote.note?.id;
      const counts = async () => ({
        notes: await forkEm(db.orm).count(SiteNote, {}),
        audit: await forkEm(db.orm).count(AuditEvent, {}),
      });
      const before = await counts();
      const admin: DevTokenOptions = { userId: 'bob' };
      const readOnlyOperator: DevTokenOptions = { ...operator, scopes: ['sites:read'] };
      for (const as of [admin, alice, readOnlyOperator]) {
        const added = await add(siteId, 'not mine to write', as);
        expect(added.errors?.[0]?.extensions?.code, as.userId).toBe('FORBIDDEN');
        const deleted = await query<Deleted>(deleteNote, { input: { id: kept } }, as);
        expect(deleted.errors?.[0]?.extensions?.code, as.userId).toBe('FORBIDDEN');
      }
      expect(await counts()).toEqual(before);
    });

    it.skipIf(skip)('checks the text and the site', async () => {
      const siteId = ids.get('hosted')!;
      const before = await forkEm(db.orm).count(SiteNote, { siteId });
      for (const body of ['tab\there', 'bell\u0007', 'crlf\r\nline', 'sep\u2028', '  \n ', '']) {
        const response = await add(siteId, body);
        expect(response.errors?.[0]?.extensions?.code, JSON.stringify(body)).toBe('BAD_USER_INPUT');
      }
      const tooLong = await add(siteId, 'x'.repeat(1501));
      expect(tooLong.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(await forkEm(db.orm).count(SiteNote, { siteId })).toBe(before);
      const longest = await add(siteId, 'x'.repeat(1500));
      expect(longest.data?.addSiteNote.__typename).toBe('SiteNotePayload');
      const nowhere = await add(randomUUID(), 'on no site');
      expect(nowhere.data?.addSiteNote).toEqual({
        __typename: 'SiteNotFoundError',
        code: 'SITE_NOT_FOUND',
      });
    });

    it.skipIf(skip)('reads the notes of a page of sites in one statement', async () => {
      const listQuery = /* GraphQL */ `
        query {
          sites(first: 20) {
            edges {
              node {
                id
                notes(first: 5) {
                  body
                }
              }
            }
          }
        }
      `;
      const siteId = ids.get('lookalike')!;
      for (const body of ['one', 'two', 'three']) await add(siteId, body);
      statements = [];
      const response = await query<{
        sites: { edges: { node: { id: string; notes: { body: string }[] } }[] };
      }>(listQuery);
      expect(response.data?.sites.edges).toHaveLength(Object.keys(sites).length);
      // The page (its total and each site's addresses with it), the notes.
      expect(sqlIn(statements).length, sqlIn(statements).join('\n')).toBeLessThanOrEqual(2);
      const lookalike = response.data?.sites.edges.find((e) => e.node.id === siteId);
      expect(lookalike?.node.notes.map((note) => note.body)).toEqual(['three', 'two', 'one']);
    });
  });
});

function aRole(siteId: string, subject: string, role: 'admin' | 'ssh-user'): SiteRole {
  const group = subject.startsWith('group:');
  return new SiteRole({
    id: randomUUID(),
    siteId,
    subjectType: group ? 'group' : 'user',
    subject: group ? subject.slice('group:'.length) : subject,
    role,
    grantedBy: 'olivia',
  });
}

/** An address of the default pools (192.0.2.0/24, 2001:db8:b0::/64) at `offset`. */
function anAddress(siteId: string | null, hostname: string, offset: number): NetworkConfig {
  return new NetworkConfig({
    id: randomUUID(),
    vmId: randomUUID(),
    siteId,
    hostNumber: null,
    hostname,
    ipv4PoolId: 'default-ipv4',
    ipv4Offset: offset,
    ipv4: `192.0.2.${offset}`,
    ipv6PoolId: 'default-ipv6',
    ipv6Offset: offset,
    ipv6: `2001:db8:b0::${offset.toString(16)}`,
  });
}

function aVm(host: string | null, status: VmStatus): Vm {
  const vm = new Vm({ id: randomUUID(), siteId: null, cpus: 1, memoryMb: 1024, diskGb: 10 });
  vm.host = host;
  vm.status = status;
  return vm;
}

function sqlIn(statements: string[]): string[] {
  return statements.filter((s) => /\b(select|insert|update|delete)\b/i.test(s));
}
