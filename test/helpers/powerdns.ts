import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port';
import { once, ServerProcess } from './server-process';
import { serverUnavailable } from './require-server';

/** The gsqlite3 backend's schema; the Debian package `pdns-backend-sqlite3` ships both. */
const schemaFile = '/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql';
/** Debian installs daemons in /usr/sbin, which a non-login PATH may lack. */
const sbin = '/usr/sbin';
/** Another process can take a free port before the server binds it; a new port usually works. */
const startAttempts = 3;
const startTimeoutMs = 30_000;

export interface PowerDnsServer {
  /** `http://127.0.0.1:<port>`, the webserver whose `/api/v1` is the HTTP API. */
  readonly apiUrl: string;
  readonly apiKey: string;
  /** The DNS service's port on 127.0.0.1, UDP and TCP. */
  readonly dnsPort: number;
  /** Stops the server and deletes its files; safe to call twice. */
  stop(): Promise<void>;
}

/** The pdns_server executable on PATH or in /usr/sbin, if installed. */
export function findPdnsServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), sbin];
  return dirs.map((dir) => join(dir, 'pdns_server')).find((path) => existsSync(path));
}

/** Why PowerDNS tests cannot run here (see serverUnavailable), or undefined when they can. */
export function powerDnsUnavailable(): string | undefined {
  if (findPdnsServer() === undefined) {
    return serverUnavailable(
      'PowerDNS',
      `no pdns_server on PATH or in ${sbin} (run scripts/setup)`,
    );
  }
  if (!existsSync(schemaFile)) {
    return serverUnavailable('PowerDNS', `no ${schemaFile} (run scripts/setup)`);
  }
  return undefined;
}

/**
 * Starts a throwaway PowerDNS authoritative server on 127.0.0.1 with the SQLite backend (DNSSEC
 * on) and the HTTP API under a random key, in a new temporary folder that stop() removes. It has
 * no zones.
 */
export async function startPowerDns(): Promise<PowerDnsServer> {
  const binary = findPdnsServer();
  if (binary === undefined) throw new Error('pdns_server not found; run scripts/setup');
  const dir = await mkdtemp(join(tmpdir(), 'berth-powerdns-'));
  try {
    const database = join(dir, 'pdns.sqlite3');
    await createDatabase(database);
    // Every setting is on the command line; an empty file keeps pdns_server from complaining.
    await writeFile(join(dir, 'pdns.conf'), '');
    const apiKey = randomBytes(24).toString('hex');
    for (let attempt = 1; ; attempt++) {
      const dnsPort = await freePort();
      const webPort = await freePort();
      const server = new PdnsProcess(binary, [
        `--config-dir=${dir}`,
        '--guardian=no',
        '--daemon=no',
        '--disable-syslog',
        `--socket-dir=${dir}`,
        '--local-address=127.0.0.1',
        `--local-port=${dnsPort}`,
        '--launch=gsqlite3',
        `--gsqlite3-database=${database}`,
        '--gsqlite3-dnssec=yes',
        '--api=yes',
        `--api-key=${apiKey}`,
        '--webserver=yes',
        '--webserver-address=127.0.0.1',
        `--webserver-port=${webPort}`,
        '--webserver-allow-from=127.0.0.0/8',
        // An empty suffix turns off the start-up query to secpoll.powerdns.com.
        '--security-poll-suffix=',
      ]);
      const apiUrl = `http://127.0.0.1:${webPort}`;
      const outcome = await server.ready(apiUrl, apiKey);
      if (outcome === 'ready') {
        const stop = once(async () => {
          try {
            await server.stop();
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        });
        return { apiUrl, apiKey, dnsPort, stop };
      }
      await server.stop();
      if (outcome === 'timeout' || attempt >= startAttempts) {
        throw new Error(`PowerDNS did not start (${outcome}):\n${server.outputTail()}`);
      }
    }
  } catch (error) {
    // Leave no folder behind; the original error is the one worth reporting.
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The empty gsqlite3 database: node's own SQLite, so no sqlite3 program is needed. */
async function createDatabase(file: string): Promise<void> {
  const db = new DatabaseSync(file);
  try {
    db.exec(await readFile(schemaFile, 'utf8'));
  } finally {
    db.close();
  }
}

/** One pdns_server process and the tail of what it printed. */
class PdnsProcess extends ServerProcess {
  /** pdns_server 4.7 exits when its DNS port is taken, but runs on without its webserver. */
  private webserverFailed = false;

  constructor(binary: string, args: string[]) {
    super('pdns_server', binary, args, (line) => {
      if (line.includes('Listening on HTTP socket failed')) this.webserverFailed = true;
    });
  }

  /**
   * Waits until the API answers to this server's key. Otherwise 'did not listen' when the process
   * exited or its webserver could not bind (a port taken: a new port usually works), 'timeout'
   * when neither happened in time.
   */
  async ready(apiUrl: string, apiKey: string): Promise<'ready' | 'did not listen' | 'timeout'> {
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (this.hasExited || this.webserverFailed) return 'did not listen';
      try {
        const response = await fetch(`${apiUrl}/api/v1/servers/localhost`, {
          headers: { 'X-API-Key': apiKey },
          signal: AbortSignal.timeout(1_000),
        });
        await response.body?.cancel();
        if (response.ok) return 'ready';
      } catch {
        // Not listening yet.
      }
      await delay(100);
    }
    return 'timeout';
  }
}
