import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyDevToken } from '../../../libs/auth/dev-token';
import { parseDevTokenArgs } from '../../../scripts/dev-token';

const repoRoot = resolve(__dirname, '../../..');
const script = join(repoRoot, 'scripts/dev-token.ts');

describe(parseDevTokenArgs.name, () => {
  it('needs only a user, and then gives site scopes for eight hours', () => {
    expect(parseDevTokenArgs(['--user', 'alice'])).toEqual({
      userId: 'alice',
      groups: [],
      operator: false,
      scopes: ['sites:read', 'sites:write'],
      ttlSeconds: 8 * 60 * 60,
    });
  });

  it('adds the operator scope to the defaults for --operator', () => {
    expect(parseDevTokenArgs(['--user', 'olga', '--operator'])).toMatchObject({
      operator: true,
      scopes: ['sites:read', 'sites:write', 'operator'],
    });
  });

  it('takes repeated groups and scopes, each once', () => {
    expect(
      parseDevTokenArgs([
        '--group',
        'web-admins',
        '--user',
        'alice',
        '--group',
        'staff',
        '--group',
        'web-admins',
        '--scope',
        'sites:read',
        '--scope',
        'sites:read',
      ]),
    ).toMatchObject({ userId: 'alice', groups: ['web-admins', 'staff'], scopes: ['sites:read'] });
  });

  it('uses explicit scopes as given, even with --operator', () => {
    expect(
      parseDevTokenArgs(['--user', 'olga', '--operator', '--scope', 'sites:read']),
    ).toMatchObject({ operator: true, scopes: ['sites:read'] });
  });

  it('reads --name=value as well as --name value', () => {
    expect(parseDevTokenArgs(['--user=alice', '--group=staff', '--ttl=3600'])).toMatchObject({
      userId: 'alice',
      groups: ['staff'],
      ttlSeconds: 3600,
    });
  });

  it('takes a TTL of up to 30 days', () => {
    expect(parseDevTokenArgs(['--user', 'alice', '--ttl', '2592000']).ttlSeconds).toBe(2_592_000);
  });

  it.each([
    ['no arguments', [], /--user is required/],
    ['no --user', ['--operator'], /--user is required/],
    ['--user twice', ['--user', 'alice', '--user', 'bob'], /once/],
    ['--user without a value', ['--user'], /--user needs a value/],
    ['--user followed by an option', ['--user', '--operator'], /--user needs a value/],
    ['an upper-case user', ['--user', 'Alice'], /not a directory uid/],
    ['a group with a space', ['--user', 'alice', '--group', 'web admins'], /not a directory uid/],
    ['an unknown scope', ['--user', 'alice', '--scope', 'admin'], /unknown scope "admin"/],
    ['a TTL of zero', ['--user', 'alice', '--ttl', '0'], /--ttl must be/],
    ['a TTL in hours', ['--user', 'alice', '--ttl', '8h'], /--ttl must be/],
    ['a TTL over 30 days', ['--user', 'alice', '--ttl', '2592001'], /--ttl must be/],
    ['--ttl twice', ['--user', 'alice', '--ttl', '60', '--ttl', '60'], /once/],
    ['--operator with a value', ['--user', 'alice', '--operator=yes'], /takes no value/],
    ['an unknown option', ['--user', 'alice', '--admin'], /unknown argument "--admin"/],
    ['a stray word', ['--user', 'alice', 'bob'], /unknown argument "bob"/],
  ])('refuses %s', (_case, argv, message) => {
    expect(() => parseDevTokenArgs(argv)).toThrow(message);
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the script as a user would, with only PATH and the given variables in its environment, so
 * that no BERTH_* setting of the machine running the tests leaks in.
 */
function runDevToken(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', script, ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('scripts/dev-token.ts', () => {
  const secretKey = randomBytes(32);
  const dataDirs: string[] = [];
  const aDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-dev-token-'));
    dataDirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('prints only a token that the api would accept, and a development-only note', async () => {
    const run = await runDevToken(
      ['--user', 'alice', '--group', 'web-admins', '--operator', '--ttl', '3600'],
      {
        BERTH_PROFILE: 'embedded',
        BERTH_SECRET_KEY: secretKey.toString('base64'),
        BERTH_DATA_DIR: aDataDir(),
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    expect(verifyDevToken(secretKey, run.stdout.trim())).toEqual({
      userId: 'alice',
      groups: ['web-admins'],
      operator: true,
      scopes: ['sites:read', 'sites:write', 'operator'],
      via: 'dev-token',
    });
    const note = /^development-only token for alice, expires (\S+)\n$/.exec(run.stderr);
    expect(note, run.stderr).not.toBeNull();
    const expires = Date.parse(note![1]!);
    expect(expires - Date.now()).toBeGreaterThan(3_500_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(3_600_000);
  });

  it('signs with the secret key the launcher keeps in the data folder when none is set', async () => {
    const dataDir = aDataDir();
    writeFileSync(join(dataDir, 'secret.key'), `${secretKey.toString('base64')}\n`);
    const run = await runDevToken(['--user', 'bob'], { BERTH_DATA_DIR: dataDir });
    expect(run.code, run.stderr).toBe(0);
    expect(verifyDevToken(secretKey, run.stdout.trim()).userId).toBe('bob');
  });

  it('fails, and creates no key, when there is neither a key nor a key file', async () => {
    const dataDir = aDataDir();
    const run = await runDevToken(['--user', 'bob'], { BERTH_DATA_DIR: dataDir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('BERTH_SECRET_KEY is unset');
    expect(existsSync(join(dataDir, 'secret.key'))).toBe(false);
  });

  it('explains a bad command line with the usage', async () => {
    const run = await runDevToken(['--user', 'Alice'], {
      BERTH_SECRET_KEY: secretKey.toString('base64'),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/not a directory uid[\s\S]*usage: dev-token --user/);
  });

  it.each([
    ['with a valid secret key', { BERTH_SECRET_KEY: randomBytes(32).toString('base64') }],
    ['with nothing else configured', {}],
    ['with other settings invalid', { BERTH_API_PORT: 'none', BERTH_SECRET_KEY: 'short' }],
  ])('refuses the production profile %s, with exit code 2', async (_case, env) => {
    const run = await runDevToken(['--user', 'alice'], { BERTH_PROFILE: 'production', ...env });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^dev-token: refused: .*embedded profile only.*production.*\n$/);
  });
});
