import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { serverUnavailable } from './require-server';
import { once } from './server-process';

const run = promisify(execFile);

/** Debian installs each major version's server binaries here (package `postgresql`). */
const debianPostgresRoot = '/usr/lib/postgresql';
const requiredBinaries = ['initdb', 'pg_ctl', 'createdb'] as const;
const commandTimeoutMs = 60_000;
/** util-linux; absolute because a non-login root PATH may lack /usr/sbin. */
const runuser = '/usr/sbin/runuser';
/** Another process can take the free port before the server binds it; a new port usually works. */
const startAttempts = 3;

export interface PostgresServer {
  /** `postgresql://berth@127.0.0.1:<port>/berth`; the role `berth` is a superuser, no password. */
  readonly url: string;
  /** Stops the server and deletes its files; safe to call twice. */
  stop(): Promise<void>;
}

/** The bin folder of the newest PostgreSQL installed from Debian packages, if any. */
export function findPostgresBin(): string | undefined {
  if (!existsSync(debianPostgresRoot)) return undefined;
  const versions = readdirSync(debianPostgresRoot)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  return versions
    .map((version) => join(debianPostgresRoot, version, 'bin'))
    .find((bin) => requiredBinaries.every((name) => existsSync(join(bin, name))));
}

/** Why PostgreSQL tests cannot run here (see serverUnavailable), or undefined when they can. */
export function postgresUnavailable(): string | undefined {
  if (findPostgresBin() === undefined) {
    return serverUnavailable(
      'PostgreSQL',
      `no ${requiredBinaries.join('/')} under ${debianPostgresRoot}/*/bin (run scripts/setup)`,
    );
  }
  if (isRoot() && !existsSync(runuser)) {
    return serverUnavailable('PostgreSQL', 'running as root, and runuser is missing');
  }
  return undefined;
}

/**
 * Starts a throwaway PostgreSQL on 127.0.0.1 with a database `berth`, in a new temporary folder
 * that stop() removes. Durability is switched off: the data lives only as long as the test.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (bin === undefined) throw new Error('PostgreSQL binaries not found; run scripts/setup');
  const dir = await mkdtemp(join(tmpdir(), 'berth-postgres-'));
  const pg = new PostgresCommands(bin, dir);
  let port: number | undefined;
  try {
    if (isRoot()) await run('chown', ['postgres:postgres', dir], { timeout: commandTimeoutMs });
    await pg.initdb();
    port = await pg.startOnSomeFreePort();
    await pg.run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'berth', 'berth']);
    return { url: `postgresql://berth@127.0.0.1:${port}/berth`, stop: once(() => pg.stop()) };
  } catch (error) {
    // Leave no server or folder behind; the original error is the one worth reporting.
    if (port === undefined) await rm(dir, { recursive: true, force: true });
    else await pg.stop().catch(() => undefined);
    throw error;
  }
}

/** The server's commands against one folder: data in `<dir>/data`, socket and log in `<dir>`. */
class PostgresCommands {
  private readonly dataDir: string;
  private readonly logFile: string;

  constructor(
    private readonly bin: string,
    private readonly dir: string,
  ) {
    this.dataDir = join(dir, 'data');
    this.logFile = join(dir, 'postgres.log');
  }

  async initdb(): Promise<void> {
    // The C locale with UTF-8 works whatever locales the machine has generated.
    await this.run('initdb', [
      '-A',
      'trust',
      '-U',
      'berth',
      '-D',
      this.dataDir,
      '--locale=C',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
  }

  async startOnSomeFreePort(): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        await this.start(port);
        return port;
      } catch (error) {
        if (attempt >= startAttempts) {
          throw new Error(`PostgreSQL did not start: ${String(error)}\n${await this.logTail()}`);
        }
      }
    }
  }

  async stop(): Promise<void> {
    try {
      await this.run('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
    } finally {
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  /**
   * Runs one PostgreSQL program. The server refuses to run as root, so as root every program
   * runs as the `postgres` user that the Debian package creates and that owns the folder.
   */
  async run(program: string, args: string[]): Promise<void> {
    const path = join(this.bin, program);
    const [file, argv] = isRoot()
      ? [runuser, ['-u', 'postgres', '--', path, ...args]]
      : [path, args];
    // cwd: the postgres user may not be allowed into the caller's working directory.
    await run(file, argv, { cwd: this.dir, timeout: commandTimeoutMs });
  }

  private async start(port: number): Promise<void> {
    const options = `-p ${port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    // -l sends the server's output to a file: otherwise the server would hold pg_ctl's stdout
    // open and execFile would wait for it until the timeout.
    await this.run('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      this.logFile,
      '-o',
      options,
      '-w',
      '-t',
      '30',
      'start',
    ]);
  }

  private async logTail(): Promise<string> {
    const log = await readFile(this.logFile, 'utf8').catch(() => '');
    return log.split('\n').slice(-20).join('\n');
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}
