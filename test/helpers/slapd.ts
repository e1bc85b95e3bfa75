import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'ldapts';
import { parse } from 'yaml';
import { freePort } from './free-port';
import { once, ServerProcess } from './server-process';
import { serverUnavailable } from './require-server';

/** Debian installs daemons in /usr/sbin, which a non-login PATH may lack. */
const sbin = '/usr/sbin';
const schemaDir = '/etc/ldap/schema';
const schemas = ['core', 'cosine', 'inetorgperson', 'nis'];
/** Where distributions put slapd's backend modules; a slapd with mdb built in needs none. */
const moduleDirs = [
  '/usr/lib/ldap',
  '/usr/lib64/openldap',
  '/usr/lib/openldap',
  '/usr/libexec/openldap',
];
const suffix = 'dc=berth,dc=test';
/** Another process can take a free port before slapd binds it; a new port usually works. */
const startAttempts = 3;
const startTimeoutMs = 30_000;

/** The users and groups every Directory contract test starts from. */
export const directoryFixtureFile = join(__dirname, '../fixtures/directory/directory.yml');

export interface DirectorySeed {
  users: { uid: string; name: string; mail?: string }[];
  groups: { name: string; members: string[] }[];
}

export interface Slapd {
  /** `ldap://127.0.0.1:<port>/`. */
  readonly url: string;
  /** The database's rootdn, which may read and write everything. */
  readonly bindDn: string;
  readonly bindPassword: string;
  /** `dc=berth,dc=test`. */
  readonly suffix: string;
  /** `ou=people,<suffix>`: users are `uid=<uid>,ou=people,...`. */
  readonly userBase: string;
  /** `ou=groups,<suffix>`: groups are `cn=<name>,ou=groups,...`. */
  readonly groupBase: string;
  /** Stops slapd and deletes its files; safe to call twice. */
  stop(): Promise<void>;
}

/** The slapd executable on PATH or in /usr/sbin, if installed. */
export function findSlapd(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), sbin];
  return dirs.map((dir) => join(dir, 'slapd')).find((path) => existsSync(path));
}

/** Why slapd tests cannot run here (see serverUnavailable), or undefined when they can. */
export function slapdUnavailable(): string | undefined {
  if (findSlapd() === undefined) {
    return serverUnavailable('slapd', `no slapd on PATH or in ${sbin} (run scripts/setup)`);
  }
  const missing = schemas.map(schemaFile).filter((file) => !existsSync(file));
  if (missing.length > 0) {
    return serverUnavailable('slapd', `no ${missing.join(', ')} (run scripts/setup)`);
  }
  return undefined;
}

/** The contract tests' users and groups (test/fixtures/directory/directory.yml). */
export function directoryFixture(): DirectorySeed {
  return parse(readFileSync(directoryFixtureFile, 'utf8')) as DirectorySeed;
}

/**
 * Starts a throwaway OpenLDAP slapd on 127.0.0.1 with one mdb database for `dc=berth,dc=test`
 * (rootdn with a random password), in a new temporary folder that stop() removes, and seeds it:
 * `ou=people` with an inetOrgPerson + posixAccount entry per user, `ou=groups` with a posixGroup
 * per group, its members as memberUid values.
 */
export async function startSlapd(seed: DirectorySeed = directoryFixture()): Promise<Slapd> {
  const binary = findSlapd();
  if (binary === undefined) throw new Error('slapd not found; run scripts/setup');
  const dir = await mkdtemp(join(tmpdir(), 'berth-slapd-'));
  try {
    const bindDn = `cn=admin,${suffix}`;
    const bindPassword = randomBytes(18).toString('hex');
    const conf = join(dir, 'slapd.conf');
    await mkdir(join(dir, 'db'));
    await writeFile(conf, slapdConf(dir, bindDn, bindPassword), { mode: 0o600 });
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const url = `ldap://127.0.0.1:${port}/`;
      // -d 0 keeps slapd in the foreground (no fork, so this child is slapd itself) and quiet.
      const server = new SlapdProcess(binary, ['-f', conf, '-h', url, '-d', '0']);
      const outcome = await server.ready(url, bindDn, bindPassword);
      if (outcome === 'ready') {
        const stop = once(async () => {
          try {
            await server.stop();
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        });
        const slapd: Slapd = {
          url,
          bindDn,
          bindPassword,
          suffix,
          userBase: `ou=people,${suffix}`,
          groupBase: `ou=groups,${suffix}`,
          stop,
        };
        try {
          await seedDirectory(slapd, seed);
        } catch (error) {
          await stop();
          throw error;
        }
        return slapd;
      }
      await server.stop();
      if (outcome === 'timeout' || attempt >= startAttempts) {
        throw new Error(`slapd did not start (${outcome}):\n${server.outputTail()}`);
      }
    }
  } catch (error) {
    // Leave no folder behind; the original error is the one worth reporting.
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A client bound as the rootdn, for tests that change the directory behind the adapter's back. */
export async function slapdAdmin(slapd: Slapd): Promise<Client> {
  const client = new Client({ url: slapd.url, timeout: 10_000, connectTimeout: 10_000 });
  await client.bind(slapd.bindDn, slapd.bindPassword);
  return client;
}

function schemaFile(name: string): string {
  return join(schemaDir, `${name}.schema`);
}

function slapdConf(dir: string, bindDn: string, bindPassword: string): string {
  const moduleDir = moduleDirs.find((candidate) => existsSync(join(candidate, 'back_mdb.so')));
  return [
    ...schemas.map((name) => `include ${schemaFile(name)}`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    ...(moduleDir ? [`modulepath ${moduleDir}`, 'moduleload back_mdb'] : []),
    'database mdb',
    `suffix "${suffix}"`,
    `rootdn "${bindDn}"`,
    `rootpw ${bindPassword}`,
    `directory ${join(dir, 'db')}`,
    // mdb maps its whole maximum size; the default (10 MB) is plenty and keeps tmp small.
    'maxsize 10485760',
    '',
  ].join('\n');
}

async function seedDirectory(slapd: Slapd, seed: DirectorySeed): Promise<void> {
  const client = await slapdAdmin(slapd);
  try {
    await client.add(suffix, {
      objectClass: ['dcObject', 'organization'],
      dc: 'berth',
      o: 'Berth',
    });
    for (const ou of ['people', 'groups']) {
      await client.add(`ou=${ou},${suffix}`, { objectClass: 'organizationalUnit', ou });
    }
    for (const [index, user] of seed.users.entries()) {
      await client.add(`uid=${user.uid},${slapd.userBase}`, {
        objectClass: ['inetOrgPerson', 'posixAccount'],
        uid: user.uid,
        cn: user.name,
        sn: user.name.split(' ').at(-1) ?? user.name,
        ...(user.mail ? { mail: user.mail } : {}),
        uidNumber: String(10_000 + index),
        gidNumber: '10000',
        homeDirectory: `/home/${user.uid}`,
      });
    }
    for (const [index, group] of seed.groups.entries()) {
      await client.add(`cn=${group.name},${slapd.groupBase}`, {
        objectClass: 'posixGroup',
        cn: group.name,
        gidNumber: String(20_000 + index),
        ...(group.members.length > 0 ? { memberUid: group.members } : {}),
      });
    }
  } finally {
    await client.unbind();
  }
}

/** One slapd process and the tail of what it printed. */
class SlapdProcess extends ServerProcess {
  constructor(binary: string, args: string[]) {
    super('slapd', binary, args);
  }

  /**
   * Waits until a bind as the rootdn succeeds. Otherwise 'did not listen' when the process exited
   * (a port taken: a new port usually works), 'timeout' when neither happened in time.
   */
  async ready(
    url: string,
    bindDn: string,
    bindPassword: string,
  ): Promise<'ready' | 'did not listen' | 'timeout'> {
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (this.hasExited) return 'did not listen';
      const client = new Client({ url, timeout: 1_000, connectTimeout: 1_000 });
      try {
        await client.bind(bindDn, bindPassword);
        return 'ready';
      } catch {
        // Not listening yet.
      } finally {
        await client.unbind().catch(() => undefined);
      }
      await delay(100);
    }
    return 'timeout';
  }
}
