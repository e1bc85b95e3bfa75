import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../libs/config/config';
import { settings } from '../../libs/config/settings';

const run = promisify(execFile);

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

const composePath = resolve(__dirname, '../../docker-compose.yml');
const compose = parse(readFileSync(composePath, 'utf8')) as ComposeFile;
const berthServices = ['berth-migrate', 'berth-api', 'berth-worker'] as const;
const settingNames = new Set<string>(Object.values(settings).map((setting) => setting.env));
const secretKey = randomBytes(32).toString('base64');
const variables = { BERTH_SECRET_KEY: secretKey, POWERDNS_API_KEY: 'compose-test-key' };

describe('docker-compose.yml', () => {
  it.each(['berth-api', 'berth-worker'])('starts %s only after the migrations ran', (name) => {
    expect(JSON.stringify(compose.services[name])).toContain('berth-migrate');
  });

  it('runs PostgreSQL, Temporal with its UI, PowerDNS, and the Berth api and worker', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining([
        'postgresql',
        'temporal',
        'temporal-ui',
        'powerdns',
        ...berthServices,
      ]),
    );
  });

  describe.each(berthServices)('%s', (name) => {
    const service = compose.services[name]!;
    const environment = environmentOf(service);

    it('sets only variables that Berth reads', () => {
      expect(Object.keys(environment).filter((key) => !settingNames.has(key))).toEqual([]);
    });

    it('sets every setting that has no default', () => {
      const required = Object.values(settings)
        .filter((setting) => !('default' in setting) && !('optional' in setting))
        .map((setting) => setting.env);
      expect(required.filter((env) => !(env in environment))).toEqual([]);
    });

    it('takes the secrets from the environment of `docker compose`, never from the file', () => {
      expect(environment.BERTH_SECRET_KEY).toMatch(/^\$\{BERTH_SECRET_KEY:\?[^}]+\}$/);
      expect(environment.POWERDNS_API_KEY).toMatch(/^\$\{POWERDNS_API_KEY:\?[^}]+\}$/);
    });

    it('is a valid configuration on PostgreSQL, a Temporal server and PowerDNS', () => {
      const config = loadConfig(interpolate(environment, variables));
      expect(config.database.driver).toBe('postgresql');
      expect(config.temporal.configuredAddress).toBe('temporal:7233');
      expect(config.adapters.dns).toBe('powerdns');
      expect(config.dns.powerDns?.url).toBe('http://powerdns:8081');
    });

    it('starts after the servers it uses', () => {
      // Migrations need only the database; the api and worker need Temporal too.
      const needs = name === 'berth-migrate' ? ['postgresql'] : ['postgresql', 'temporal'];
      expect(dependenciesOf(service)).toEqual(expect.arrayContaining(needs));
    });

    it('is built from the Dockerfile', () => {
      expect(service.build).toBe('.');
    });
  });

  it('is accepted by `docker compose config`', async (context) => {
    const unavailable = await dockerComposeUnavailable();
    context.skip(unavailable !== undefined, unavailable);
    await run('docker', ['compose', '-f', composePath, 'config', '-q'], {
      env: { ...process.env, ...variables },
      timeout: 30_000,
    });
  });
});

function environmentOf(service: ComposeService): Record<string, string> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((item) => {
        const [key = '', ...value] = item.split('=');
        return [key, value.join('=')];
      })
    : Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value ?? '')]);
  return Object.fromEntries(entries) as Record<string, string>;
}

function dependenciesOf(service: ComposeService): string[] {
  const dependsOn = service.depends_on ?? [];
  return Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn);
}

/** Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}` forms, and `$$` for `$`. */
function interpolate(
  environment: Record<string, string>,
  variables: Record<string, string>,
): Record<string, string> {
  const substitute = (text: string) =>
    text.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
      (match, name?: string, operator?: string, operand?: string) => {
        if (name === undefined) return '$';
        const value = variables[name];
        const unset = operator?.startsWith(':') ? !value : value === undefined;
        if (!unset) return value ?? '';
        if (operator?.endsWith('?')) throw new Error(`${match}: ${name} is required`);
        return operator?.endsWith('-') ? (operand ?? '') : '';
      },
    );
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [key, substitute(value)]),
  );
}

/** Why `docker compose` cannot check the file here, or undefined when it can. */
async function dockerComposeUnavailable(): Promise<string | undefined> {
  try {
    await run('docker', ['compose', 'version'], { timeout: 30_000 });
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? 'no docker CLI on PATH'
      : 'the docker CLI has no compose plugin (`docker compose version` failed)';
  }
}
