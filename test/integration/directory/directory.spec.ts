import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DirectoryError } from '../../../activities/directory/errors';
import { FileDirectory } from '../../../activities/directory/file/file-directory';
import {
  LdapDirectory,
  type LdapDirectoryOptions,
} from '../../../activities/directory/ldap/ldap-directory';
import { type Directory, maxSearchLimit } from '../../../activities/directory/port';
import { eventually } from '../../helpers/eventually';
import { freePort } from '../../helpers/free-port';
import {
  type DirectorySeed,
  directoryFixture,
  directoryFixtureFile,
  type Slapd,
  slapdAdmin,
  slapdUnavailable,
  startSlapd,
} from '../../helpers/slapd';

/**
 * The Directory port's contract, run against every adapter with the same users and groups
 * (test/fixtures/directory/directory.yml): the `file` adapter on a copy of that file and the
 * `ldap` adapter on a throwaway OpenLDAP slapd seeded from it. Then what only one adapter does:
 * LDAP's bind, reachability and timeouts; the file's validation.
 */

interface Subject {
  directory: Directory;
  /** Adds a member to a group behind the adapter's back, as an administrator would. */
  addMember(group: string, uid: string): Promise<void>;
  stop(): Promise<void>;
}

const subjects: Record<'file' | 'ldap', () => Promise<Subject>> = {
  async file() {
    const dir = await mkdtemp(join(tmpdir(), 'berth-directory-'));
    const file = join(dir, 'directory.yml');
    await copyFile(directoryFixtureFile, file);
    const directory = new FileDirectory(file);
    return {
      directory,
      async addMember(group, uid) {
        const data = parse(await readFile(file, 'utf8')) as DirectorySeed;
        data.groups.find((entry) => entry.name === group)!.members.push(uid);
        await writeFile(file, stringify(data));
      },
      async stop() {
        await directory.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  async ldap() {
    const slapd = await startSlapd();
    const directory = new LdapDirectory(ldapOptions(slapd));
    return {
      directory,
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
      async stop() {
        await directory.close();
        await slapd.stop();
      },
    };
  },
};

function ldapOptions(slapd: Slapd, overrides: Partial<LdapDirectoryOptions> = {}) {
  return {
    url: slapd.url,
    bindDn: slapd.bindDn,
    bindPassword: slapd.bindPassword,
    userBase: slapd.userBase,
    groupBase: slapd.groupBase,
    timeoutMs: 5_000,
    ...overrides,
  };
}

const seed = directoryFixture();

/** What a literal, case-insensitive prefix search over the seed finds: the most any may find. */
function literalMatches(text: string): string[] {
  const prefix = text.toLowerCase();
  return seed.users
    .filter((user) =>
      [user.uid, user.name, user.mail].some((value) => value?.toLowerCase().startsWith(prefix)),
    )
    .map((user) => user.uid)
    .sort();
}

/** Strings that would widen or break a filter built from text. */
const injections = [
  '*',
  'alice)(uid=*',
  '*)(|(uid=*',
  '*)(uid=*',
  '\\2a',
  'alice\\00',
  'alice\\2a',
  '(',
  ')',
  '\\',
  'alice\u0000',
  '\u0000',
  'al*',
  '*)(objectClass=*))(|(uid=*',
];

async function failure(call: Promise<unknown>): Promise<DirectoryError> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DirectoryError);
  return error as DirectoryError;
}

describe.each(['file', 'ldap'] as const)('the Directory contract: %s', (name) => {
  const skip = name === 'ldap' ? slapdUnavailable() : undefined;
  let subject: Subject;
  let directory: Directory;

  beforeAll(async () => {
    if (skip) return;
    subject = await subjects[name]();
    directory = subject.directory;
  });
  afterAll(async () => {
    await subject?.stop();
  });

  it.skipIf(skip)('finds a user by exact uid, with name and mail', async () => {
    expect(directory.name).toBe(name);
    expect(await directory.findUser('alice')).toEqual({
      uid: 'alice',
      name: 'Alice Archer',
      mail: 'alice@example.org',
    });
    expect(await directory.findUser('dave')).toEqual({ uid: 'dave', name: 'Dave Dunn' });
    expect(await directory.findUser('nobody')).toBeUndefined();
    // Not a directory name, so nobody, though LDAP would match uids ignoring case.
    expect(await directory.findUser('Alice')).toBeUndefined();
    expect(await directory.findUser('alic')).toBeUndefined();
  });

  it.skipIf(skip)('searches uid, name and mail by prefix, ignoring case', async () => {
    const uids = async (text: string, limit = maxSearchLimit) =>
      (await directory.searchUsers(text, limit)).map((user) => user.uid);
    expect(await uids('al')).toEqual(['albert', 'alfred', 'alice']);
    expect(await uids('AL')).toEqual(['albert', 'alfred', 'alice']);
    expect(await uids('Bob B')).toEqual(['bob']);
    expect(await uids('carol@')).toEqual(['carol']);
    expect(await uids('operator')).toEqual([]);
    expect(await uids('zz')).toEqual([]);
    expect(await uids('')).toEqual([]);
    expect(await directory.searchUsers('alice', 5)).toEqual([
      { uid: 'alice', name: 'Alice Archer', mail: 'alice@example.org' },
    ]);
  });

  it.skipIf(skip)('returns no more users than the limit', async () => {
    const found = await directory.searchUsers('al', 2);
    expect(found).toHaveLength(2);
    for (const user of found) expect(['albert', 'alfred', 'alice']).toContain(user.uid);
    expect(await directory.searchUsers('al', 1)).toHaveLength(1);
  });

  it.skipIf(skip)('refuses a search limit out of range as an invalid request', async () => {
    for (const limit of [0, -1, 1.5, maxSearchLimit + 1, Number.NaN]) {
      const error = await failure(directory.searchUsers('al', limit));
      expect(error.kind).toBe('DirectoryInvalidRequest');
      expect(error.retryable).toBe(false);
    }
  });

  it.skipIf(skip)('lists the groups of a user and the members of a group', async () => {
    expect(await directory.groupsOf('alice')).toEqual(['editors', 'webmasters']);
    expect(await directory.groupsOf('olivia')).toEqual(['berth-operators']);
    expect(await directory.groupsOf('dave')).toEqual([]);
    expect(await directory.groupsOf('nobody')).toEqual([]);
    expect(await directory.membersOf('editors')).toEqual(['alice', 'carol']);
    expect(await directory.membersOf('berth-operators')).toEqual(['olivia']);
    expect(await directory.membersOf('empty')).toEqual([]);
    expect(await directory.membersOf('no-such-group')).toEqual([]);
  });

  it.skipIf(skip)('finds a group by its exact name, with or without members', async () => {
    expect(await directory.findGroup('editors')).toEqual({
      name: 'editors',
      members: ['alice', 'carol'],
    });
    expect(await directory.findGroup('empty')).toEqual({ name: 'empty', members: [] });
    expect(await directory.findGroup('no-such-group')).toBeUndefined();
    expect(await directory.findGroup('Editors')).toBeUndefined();
    expect(await directory.findGroup('editor')).toBeUndefined();
  });

  it.skipIf(skip)('sees a member added behind its back', async () => {
    expect(await directory.membersOf('webmasters')).toEqual(['alice', 'bob']);
    await subject.addMember('webmasters', 'dave');
    await eventually(
      'dave appearing among the webmasters',
      () => directory.membersOf('webmasters'),
      (members) => members.includes('dave'),
      10_000,
    );
    expect(await directory.membersOf('webmasters')).toEqual(['alice', 'bob', 'dave']);
    expect(await directory.groupsOf('dave')).toEqual(['webmasters']);
  });

  it.skipIf(skip)('treats filter syntax in any argument as literal text', async () => {
    for (const text of injections) {
      expect(await directory.findUser(text), text).toBeUndefined();
      expect(await directory.groupsOf(text), text).toEqual([]);
      expect(await directory.membersOf(text), text).toEqual([]);
      expect(await directory.findGroup(text), text).toBeUndefined();
      const found = (await directory.searchUsers(text, maxSearchLimit)).map((user) => user.uid);
      // Control characters find nobody; everything else at most its literal prefix matches.
      expect(found, text).toEqual(/\p{Cc}/u.test(text) ? [] : literalMatches(text));
      expect(found.length, text).toBeLessThanOrEqual(1);
    }
    // The fixture's `star` has a name made of filter syntax: found literally, and only it.
    expect(literalMatches('*)(uid=*')).toEqual(['star']);
    expect((await directory.searchUsers('*)(uid=*) \\2a', 10)).map((user) => user.uid)).toEqual([
      'star',
    ]);
  });
});

describe('the ldap Directory adapter', () => {
  const skip = slapdUnavailable();
  let slapd: Slapd;

  beforeAll(async () => {
    if (skip) return;
    slapd = await startSlapd();
  });
  afterAll(async () => {
    await slapd?.stop();
  });

  it.skipIf(skip)('refuses a wrong bind password as denied, without the password', async () => {
    const wrong = `wrong-${slapd.bindPassword}`;
    const directory = new LdapDirectory(ldapOptions(slapd, { bindPassword: wrong }));
    try {
      const error = await failure(directory.findUser('alice'));
      expect(error.kind).toBe('DirectoryDenied');
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(slapd.bindDn);
      expect(error.message).not.toContain(wrong);
      expect(error.message).not.toContain(slapd.bindPassword);
      expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(wrong);
      // Every call tries again, and fails the same way.
      expect((await failure(directory.groupsOf('alice'))).kind).toBe('DirectoryDenied');
    } finally {
      await directory.close();
    }
  });

  it.skipIf(skip)('says a server nobody listens on is unavailable, and retryable', async () => {
    const url = `ldap://127.0.0.1:${await freePort()}/`;
    const directory = new LdapDirectory(ldapOptions(slapd, { url }));
    try {
      const error = await failure(directory.findUser('alice'));
      expect(error.kind).toBe('DirectoryUnavailable');
      expect(error.retryable).toBe(true);
      expect(error.message).not.toContain(slapd.bindPassword);
    } finally {
      await directory.close();
    }
  });

  it.skipIf(skip)('gives up on a server that never answers after its timeout', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const directory = new LdapDirectory(
      ldapOptions(slapd, { url: `ldap://127.0.0.1:${port}/`, timeoutMs: 300 }),
    );
    try {
      const started = Date.now();
      const error = await failure(directory.membersOf('webmasters'));
      expect(error.kind).toBe('DirectoryUnavailable');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await directory.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it.skipIf(skip)('reconnects and binds again after the connection is lost', async () => {
    const directory = new LdapDirectory(ldapOptions(slapd));
    try {
      expect(await directory.membersOf('editors')).toEqual(['alice', 'carol']);
      destroySocketOf(directory);
      expect(await directory.membersOf('editors')).toEqual(['alice', 'carol']);
      expect(await directory.findUser('carol')).toMatchObject({ uid: 'carol' });
    } finally {
      await directory.close();
    }
  });

  it.skipIf(skip)('names a base the server does not hold as misconfigured', async () => {
    const directory = new LdapDirectory(
      ldapOptions(slapd, { userBase: `ou=nobody,${slapd.suffix}` }),
    );
    try {
      const error = await failure(directory.findUser('alice'));
      expect(error.kind).toBe('DirectoryMisconfigured');
      expect(error.message).toContain(`ou=nobody,${slapd.suffix}`);
    } finally {
      await directory.close();
    }
  });

  it.skipIf(skip)('applies the configured user filter', async () => {
    const directory = new LdapDirectory(
      ldapOptions(slapd, { userFilter: '(&(objectClass=inetOrgPerson)(mail=*))' }),
    );
    try {
      expect(await directory.findUser('alice')).toMatchObject({ uid: 'alice' });
      expect(await directory.findUser('dave')).toBeUndefined();
    } finally {
      await directory.close();
    }
  });

  it.skipIf(skip)('refuses settings that cannot work when it is made', () => {
    const kind = (overrides: Partial<LdapDirectoryOptions>) => {
      try {
        new LdapDirectory(ldapOptions(slapd, overrides));
        return undefined;
      } catch (error) {
        return (error as DirectoryError).kind;
      }
    };
    expect(kind({ userFilter: '(objectClass=inetOrgPerson' })).toBe('DirectoryMisconfigured');
    expect(kind({ memberAttribute: 'memberUid)(x=*' })).toBe('DirectoryMisconfigured');
    expect(kind({ url: 'http://127.0.0.1/' })).toBe('DirectoryMisconfigured');
    expect(kind({ caPem: 'pem' })).toBe('DirectoryMisconfigured');
    expect(kind({})).toBeUndefined();
  });
});

describe('the file Directory adapter', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-directory-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fileWith(text: string, fileName: string): Promise<string> {
    const file = join(dir, fileName);
    await writeFile(file, text);
    return file;
  }

  function misconfiguration(file: string): DirectoryError {
    try {
      new FileDirectory(file);
    } catch (error) {
      expect(error).toBeInstanceOf(DirectoryError);
      expect((error as DirectoryError).kind).toBe('DirectoryMisconfigured');
      expect((error as DirectoryError).message).toContain(file);
      return error as DirectoryError;
    }
    throw new Error(`${file} was accepted`);
  }

  it('reads the example directory shipped for the embedded profile', async () => {
    const directory = new FileDirectory(
      join(__dirname, '../../../activities/directory/file/example-directory.yml'),
    );
    expect(await directory.membersOf('webmasters')).toEqual(['alice', 'bob']);
    expect(await directory.membersOf('berth-operators')).toEqual(['olivia']);
    expect((await directory.searchUsers('a', 10)).map((user) => user.uid)).toContain('alice');
  });

  it('refuses malformed YAML, naming the problem and its line', async () => {
    const file = await fileWith('users:\n  - uid: alice\n    name: [Alice\n', 'syntax.yml');
    expect(misconfiguration(file).message).toMatch(/line \d+/);
  });

  it('refuses an invalid entry, naming it', async () => {
    const file = await fileWith(
      stringify({
        users: [
          { uid: 'alice', name: 'Alice' },
          { uid: 'Alice Archer', name: 'Alice' },
          { uid: 'bob', name: 'Bob', mail: 'not-an-address' },
        ],
      }),
      'entry.yml',
    );
    const { message } = misconfiguration(file);
    expect(message).toContain('users[1] ("Alice Archer").uid');
    expect(message).toContain('users[2] ("bob").mail');
  });

  it('refuses duplicates, unknown fields and members who are not users', async () => {
    const file = await fileWith(
      stringify({
        users: [
          { uid: 'alice', name: 'Alice' },
          { uid: 'alice', name: 'Alice again' },
        ],
        groups: [{ name: 'webmasters', members: ['alice', 'mallory'] }],
      }),
      'consistency.yml',
    );
    const { message } = misconfiguration(file);
    expect(message).toContain('users[1] ("alice"): uid is listed twice');
    expect(message).toContain('groups[0] ("webmasters"): member "mallory" is not a user');
    const extra = await fileWith(
      stringify({ users: [{ uid: 'alice', name: 'Alice', password: 'x' }] }),
      'extra.yml',
    );
    expect(misconfiguration(extra).message).toContain('users[0] ("alice")');
    expect(misconfiguration(join(dir, 'missing.yml')).message).toContain('ENOENT');
  });

  it('fails while its file is broken, and recovers when it is fixed', async () => {
    const file = join(dir, 'edited.yml');
    await copyFile(directoryFixtureFile, file);
    const directory = new FileDirectory(file);
    expect(await directory.findUser('alice')).toMatchObject({ uid: 'alice' });
    await writeFile(file, 'users: [\n');
    const error = await failure(directory.findUser('alice'));
    expect(error.kind).toBe('DirectoryMisconfigured');
    expect(error.retryable).toBe(false);
    await copyFile(directoryFixtureFile, file);
    expect(await directory.findUser('alice')).toMatchObject({ uid: 'alice' });
  });
});

/**
 * Cuts the adapter's shared connection the way a server's idle timeout would. The adapter keeps
 * its client private; reaching in is the only way to lose exactly that connection.
 */
function destroySocketOf(directory: LdapDirectory): void {
  const client = (directory as unknown as { client?: { socket?: Socket } }).client;
  if (!client?.socket) throw new Error('the adapter holds no connection');
  client.socket.destroy();
}
