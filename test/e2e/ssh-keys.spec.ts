import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteConfiguration } from '../../activities/ansible/site-data';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { forkEm } from '../../libs/db/orm';
import { AuditEvent, Operation, SshKey } from '../../libs/domain';
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
  type SiteData,
  siteQuery,
} from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * Users' SSH keys end to end: added, listed and removed through GraphQL, refused with a typed
 * answer that leaves nothing behind, private to their owner (and operators), and carried to the
 * servers of the user's sites by a configuration run whose vars (siteConfiguration) list them.
 */

const operator: DevTokenOptions = { userId: 'olivia', operator: true };
const SSH_KEYGEN = '/usr/bin/ssh-keygen';
const execFileAsync = promisify(execFile);

interface SshKeyData {
  id: string;
  user: string;
  type: string;
  bits: number;
  fingerprint: string;
  publicKey: string;
  comment: string | null;
  createdAt: string;
}

type KeyResult =
  | {
      __typename: 'SshKeyPayload';
      sshKey: SshKeyData;
      operations: { id: string; kind: string; siteId: string }[];
    }
  | { __typename: string; code: string; message: string; field: string | null };

const keyFields = 'id user type bits fingerprint publicKey comment createdAt';
const resultFields = `
  __typename
  ... on SshKeyPayload { sshKey { ${keyFields} } operations { id kind siteId } }
  ... on UserError { code message field }
`;
const addSshKeyMutation = `mutation Add($input: AddSshKeyInput!) {
  result: addSshKey(input: $input) { ${resultFields} }
}`;
const removeSshKeyMutation = `mutation Remove($input: RemoveSshKeyInput!) {
  result: removeSshKey(input: $input) { ${resultFields} }
}`;
const sshKeysQuery = `query Keys($user: String) { sshKeys(user: $user) { ${keyFields} } }`;

/** Keys made by ssh-keygen: name, then its -t and -b. */
const generated = [
  ['ed25519', 'ed25519', undefined],
  ['other-ed25519', 'ed25519', undefined],
  ['ecdsa-384', 'ecdsa', '384'],
  ['rsa-3072', 'rsa', '3072'],
  ['rsa-2048', 'rsa', '2048'],
  ['dsa', 'dsa', undefined],
] as const;
type KeyName = (typeof generated)[number][0];

let keyDir: string;
const pub = new Map<KeyName, { line: string; fingerprint: string; bits: number }>();

function key(name: KeyName) {
  const made = pub.get(name);
  if (!made) throw new Error(`no key ${name}`);
  return made;
}

/** `<algorithm> <base64>`, without ssh-keygen's comment. */
function bare(name: KeyName): string {
  return key(name).line.split(' ').slice(0, 2).join(' ');
}

beforeAll(async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'berth-ssh-keys-'));
  await Promise.all(
    generated.map(async ([name, type, bits]) => {
      const file = join(keyDir, name);
      const size = bits ? ['-b', bits] : [];
      await execFileAsync(SSH_KEYGEN, [
        '-q',
        '-t',
        type,
        ...size,
        '-N',
        '',
        '-C',
        name,
        '-f',
        file,
      ]);
      const listed = (
        await execFileAsync(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', `${file}.pub`])
      ).stdout.split(' ');
      pub.set(name, {
        line: readFileSync(`${file}.pub`, 'utf8').trim(),
        bits: Number(listed[0]),
        fingerprint: listed[1] ?? '',
      });
    }),
  );
}, 60_000);

afterAll(() => {
  rmSync(keyDir, { recursive: true, force: true });
});

describe.each(databaseKinds)('SSH keys on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName(`ssh-keys-${kind}`) });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  /** A user of the test's own, so that tests sharing the stack do not see each other's keys. */
  function user(name: string): DevTokenOptions {
    return { userId: `${name}-${kind === 'sqlite' ? 's' : 'p'}` };
  }

  async function add(input: Record<string, unknown>, as: DevTokenOptions): Promise<KeyResult> {
    const response = await berth.graphql<{ result: KeyResult }>(addSshKeyMutation, { input }, as);
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.result;
  }

  async function added(input: Record<string, unknown>, as: DevTokenOptions) {
    const result = await add(input, as);
    if (!('sshKey' in result)) throw new Error(`refused: ${JSON.stringify(result)}`);
    return result;
  }

  async function remove(id: string, as: DevTokenOptions): Promise<KeyResult> {
    const response = await berth.graphql<{ result: KeyResult }>(
      removeSshKeyMutation,
      { input: { id } },
      as,
    );
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.result;
  }

  async function keysOf(as: DevTokenOptions, of?: string): Promise<SshKeyData[]> {
    const response = await berth.graphql<{ sshKeys: SshKeyData[] }>(
      sshKeysQuery,
      of ? { user: of } : {},
      as,
    );
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.sshKeys;
  }

  /** Everything a refused call must leave as it was. */
  async function written() {
    const em = forkEm(db.orm);
    return {
      keys: await em.count(SshKey, {}),
      audit: await em.count(AuditEvent, { action: { $like: 'ssh-key.%' } }),
      operations: await em.count(Operation, {}),
    };
  }

  async function readySite(owner: DevTokenOptions): Promise<string> {
    const response = await berth.graphql<RequestSiteData>(
      requestSiteMutation,
      { input: { name: uniqueName('Keys'), contactEmail: 'owner@example.org' } },
      owner,
    );
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    await statusOf(result.site.id, 'READY');
    return result.site.id;
  }

  function statusOf(siteId: string, status: string) {
    return eventually(
      `site ${siteId} becoming ${status}`,
      async () => (await berth.graphql<SiteData>(siteQuery, { id: siteId }, operator)).data?.site,
      (site) => site?.status === status,
    );
  }

  async function succeeded(operationId: string) {
    const operation = await eventually(
      `operation ${operationId} finishing`,
      async () =>
        (await berth.graphql<OperationData>(operationQuery, { id: operationId }, operator)).data
          ?.operation,
      (op) => op?.status === 'SUCCEEDED' || op?.status === 'FAILED',
    );
    expect(operation?.status).toBe('SUCCEEDED');
  }

  /** Waits for each configuration run of a key change, then for its site to be READY again. */
  async function configured(result: KeyResult & { operations: { id: string; siteId: string }[] }) {
    for (const operation of result.operations) {
      await succeeded(operation.id);
      await statusOf(operation.siteId, 'READY');
    }
  }

  /** The users (uid and keys) a configuration run of the site's server would get now. */
  async function runUsers(siteId: string) {
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
    return vars.berth.users.map(({ uid, ssh_keys }) => ({ uid, ssh_keys }));
  }

  function auditOf(target: string) {
    return forkEm(db.orm).find(
      AuditEvent,
      { target, action: { $like: 'ssh-key.%' } },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }

  it.skipIf(skip)('adds, lists and removes the caller’s keys, auditing each change', async () => {
    const carol = user('carol');
    const first = await added({ publicKey: `${key('ed25519').line}\n` }, carol);
    const second = await added({ publicKey: key('rsa-3072').line, comment: 'work laptop' }, carol);

    expect(first).toMatchObject({
      sshKey: {
        user: carol.userId,
        type: 'ED25519',
        bits: 256,
        fingerprint: key('ed25519').fingerprint,
        publicKey: bare('ed25519'),
        comment: 'ed25519',
      },
      // carol has no site: there is nothing to configure.
      operations: [],
    });
    expect(second.sshKey).toMatchObject({
      type: 'RSA',
      bits: 3072,
      fingerprint: key('rsa-3072').fingerprint,
      comment: 'work laptop',
    });
    expect(await keysOf(carol)).toEqual([first.sshKey, second.sshKey]);

    const removed = await remove(first.sshKey.id, carol);
    expect(removed).toMatchObject({ sshKey: first.sshKey, operations: [] });
    expect(await keysOf(carol)).toEqual([second.sshKey]);

    const audit = await auditOf(carol.userId);
    expect(audit.map(({ actor, action }) => ({ actor, action }))).toEqual([
      { actor: carol.userId, action: 'ssh-key.added' },
      { actor: carol.userId, action: 'ssh-key.added' },
      { actor: carol.userId, action: 'ssh-key.removed' },
    ]);
    expect(audit[0]?.summary).toContain(key('ed25519').fingerprint);
    // The audit log names keys by fingerprint; it never holds one.
    for (const event of audit) expect(event.summary).not.toContain(bare('ed25519').split(' ')[1]);
  });

  it.skipIf(skip)(
    'refuses invalid and duplicate keys with a typed answer, writing nothing',
    async () => {
      const dave = user('dave');
      await added({ publicKey: key('ed25519').line }, dave);
      const refusals: [string, string, RegExp][] = [
        [key('dsa').line, 'SSH_KEY_INVALID', /DSA keys are not accepted/],
        [key('rsa-2048').line, 'SSH_KEY_INVALID', /at least 3072 bits; this one has 2048/],
        [`command="id" ${key('ecdsa-384').line}`, 'SSH_KEY_INVALID', /options/],
        [`${key('ecdsa-384').line}\n${key('rsa-3072').line}`, 'SSH_KEY_INVALID', /one key/],
        [`${bare('ecdsa-384')} ${bare('rsa-3072')}`, 'SSH_KEY_INVALID', /one key/],
        [
          `ssh-ed25519 ${bare('ecdsa-384').split(' ')[1]}`,
          'SSH_KEY_INVALID',
          /not the ssh-ed25519/,
        ],
        [`${bare('ecdsa-384').slice(0, -6)}%%%%`, 'SSH_KEY_INVALID', /canonical base64/],
        [`${bare('ecdsa-384')} a\u0007b`, 'SSH_KEY_INVALID', /comment is refused/],
        // The same key with another comment is the same key.
        [`${bare('ed25519')} again`, 'SSH_KEY_EXISTS', /already/],
      ];
      const before = await written();
      for (const [publicKey, code, message] of refusals) {
        const result = await add({ publicKey }, dave);
        expect(result, publicKey).toMatchObject({ code, field: 'publicKey' });
        expect('message' in result && result.message).toMatch(message);
        expect(await written()).toEqual(before);
      }
      expect(await keysOf(dave)).toHaveLength(1);
    },
  );

  it.skipIf(skip).each([
    ['a comment with a line break', { comment: 'a\nb' }, 'comment'],
    ['a comment of 101 characters', { comment: 'c'.repeat(101) }, 'comment'],
    ['an empty comment', { comment: '' }, 'comment'],
    ['more than 16 KiB', { publicKey: `ssh-ed25519 ${'A'.repeat(16 * 1024)}` }, 'publicKey'],
    ['a user that is no directory uid', { user: 'Olivia; drop table' }, 'user'],
    ['an unknown field', { options: 'no-pty' }, 'options'],
  ])('refuses %s at the edge, naming the field, writing nothing', async (_, fields, field) => {
    const before = await written();
    const response = await berth.graphql(
      addSshKeyMutation,
      { input: { publicKey: key('ed25519').line, ...fields } },
      user('erin'),
    );
    const error = response.errors?.[0];
    expect(error?.extensions?.code, JSON.stringify(response.errors)).toBe('BAD_USER_INPUT');
    const problems = error?.extensions?.fields as { field: string }[] | undefined;
    if (problems) expect(problems.map((problem) => problem.field)).toContain(field);
    else expect(error?.message).toMatch(new RegExp(`Field "${field}"`));
    expect(await written()).toEqual(before);
  });

  it.skipIf(skip)(
    'keeps keys from other users, and lets operators see, add and remove anyone’s',
    async () => {
      const frank = user('frank');
      const gina = user('gina');
      const own = await added({ publicKey: key('ed25519').line }, frank);
      await added({ publicKey: key('other-ed25519').line }, gina);
      const before = await written();

      const peek = await berth.graphql(sshKeysQuery, { user: frank.userId }, gina);
      expect(peek.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await keysOf(gina)).map((k) => k.user)).toEqual([gina.userId]);
      expect(await remove(own.sshKey.id, gina)).toMatchObject({ code: 'SSH_KEY_NOT_FOUND' });
      const planted = await berth.graphql(
        addSshKeyMutation,
        { input: { publicKey: key('ecdsa-384').line, user: frank.userId } },
        gina,
      );
      expect(planted.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      for (const anonymous of [
        await berth.graphql(sshKeysQuery, {}, null),
        await berth.graphql(
          addSshKeyMutation,
          { input: { publicKey: key('ecdsa-384').line } },
          null,
        ),
        await berth.graphql(removeSshKeyMutation, { input: { id: own.sshKey.id } }, null),
      ]) {
        expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
      // A credential that may only read cannot change keys, its owner's included.
      const reader = { ...frank, scopes: ['sites:read' as const] };
      expect((await keysOf(reader)).map((k) => k.id)).toEqual([own.sshKey.id]);
      const readerRemove = await berth.graphql(
        removeSshKeyMutation,
        { input: { id: own.sshKey.id } },
        reader,
      );
      expect(readerRemove.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await written()).toEqual(before);

      expect(await keysOf(operator, frank.userId)).toEqual([own.sshKey]);
      const byOperator = await added(
        { publicKey: key('ecdsa-384').line, user: frank.userId },
        operator,
      );
      expect(byOperator.sshKey).toMatchObject({ user: frank.userId, type: 'ECDSA', bits: 384 });
      expect(await remove(own.sshKey.id, operator)).toMatchObject({
        sshKey: { id: own.sshKey.id },
      });
      expect((await keysOf(frank)).map((k) => k.id)).toEqual([byOperator.sshKey.id]);
      expect(await auditOf(frank.userId)).toMatchObject([
        { actor: frank.userId, action: 'ssh-key.added' },
        { actor: operator.userId, action: 'ssh-key.added' },
        { actor: operator.userId, action: 'ssh-key.removed' },
      ]);
      // Gone is gone, for its owner too.
      expect(await remove(own.sshKey.id, frank)).toMatchObject({ code: 'SSH_KEY_NOT_FOUND' });
    },
  );

  it.skipIf(skip)(
    'configures the sites of the key’s user, whose runs then list it, skipping suspended ones',
    async () => {
      const hana = user('hana');
      const ivan = user('ivan');
      const siteId = await readySite(hana);
      const suspendedSiteId = await readySite(hana);
      const suspension = await berth.graphql<{ suspendSite: { operation: { id: string } } }>(
        `mutation S($input: SuspendSiteInput!) {
          suspendSite(input: $input) { ... on SiteOperationPayload { operation { id } } }
        }`,
        { input: { siteId: suspendedSiteId, reason: 'ssh key test' } },
        operator,
      );
      await succeeded(suspension.data!.suspendSite.operation.id);
      await statusOf(suspendedSiteId, 'SUSPENDED');
      // ivan only logs in to the site's server.
      const grant = await berth.graphql<{ grantSiteRole: { operation: { id: string } } }>(
        `mutation G($input: SiteRoleInput!) {
          grantSiteRole(input: $input) { ... on SiteOperationPayload { operation { id } } }
        }`,
        { input: { siteId, user: ivan.userId, role: 'SSH_USER' } },
        hana,
      );
      await succeeded(grant.data!.grantSiteRole.operation.id);
      await statusOf(siteId, 'READY');

      const hanas = await added({ publicKey: key('ed25519').line, comment: 'hana laptop' }, hana);
      expect(hanas.operations.map((op) => ({ kind: op.kind, siteId: op.siteId }))).toEqual([
        { kind: 'CONFIGURE', siteId },
      ]);
      await configured(hanas);
      const ivans = await added({ publicKey: key('rsa-3072').line }, ivan);
      expect(ivans.operations).toMatchObject([{ kind: 'CONFIGURE', siteId }]);
      await configured(ivans);
      expect(await runUsers(siteId)).toEqual([
        { uid: hana.userId, ssh_keys: [`${bare('ed25519')} hana laptop`] },
        { uid: ivan.userId, ssh_keys: [`${bare('rsa-3072')} rsa-3072`] },
      ]);
      // The suspended site's next run will list the key too: the vars are read when it runs.
      expect(await runUsers(suspendedSiteId)).toEqual([
        { uid: hana.userId, ssh_keys: [`${bare('ed25519')} hana laptop`] },
      ]);
      expect(
        await forkEm(db.orm).count(Operation, { siteId: suspendedSiteId, kind: 'configure' }),
      ).toBe(0);

      const removed = await remove(hanas.sshKey.id, hana);
      expect(removed).toMatchObject({ operations: [{ kind: 'CONFIGURE', siteId }] });
      if (!('operations' in removed)) throw new Error('refused');
      await configured(removed);
      expect(await runUsers(siteId)).toEqual([
        { uid: hana.userId, ssh_keys: [] },
        { uid: ivan.userId, ssh_keys: [`${bare('rsa-3072')} rsa-3072`] },
      ]);
    },
  );
});
