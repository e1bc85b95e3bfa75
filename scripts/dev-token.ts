import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultDevTokenScopes,
  defaultDevTokenTtlSeconds,
  type DevTokenOptions,
  maxDevTokenTtlSeconds,
  mintDevToken,
} from '../libs/auth/dev-token';
import { directoryNamePattern, isScope, type Scope, scopes } from '../libs/auth/principal';
import { loadConfig, settings } from '../libs/config';

/**
 * DEVELOPMENT ONLY. Mints a signed development token that the embedded profile's api accepts as
 * `Authorization: Bearer <token>`, until real login lands (#7). Refuses to run for the production
 * profile, whose api refuses these tokens anyway.
 *
 *   node -r @swc-node/register scripts/dev-token.ts --user alice [--group web-admins]...
 *     [--operator] [--scope sites:read]... [--ttl 3600]
 *
 * Prints the token alone on stdout (so `TOKEN=$(...)` works) and a note on stderr.
 */

export const devTokenUsage =
  'usage: dev-token --user <uid> [--group <gid>]... [--operator] [--scope <scope>]... [--ttl <seconds>]';

/** Exit codes: 2 is the production refusal, which scripts may want to tell apart. */
const exitFailed = 1;
const exitRefused = 2;

/**
 * The mint options that the command line asks for, or an Error whose message says what is wrong
 * (the caller prints it with the usage line). Pure, for tests.
 */
export function parseDevTokenArgs(argv: string[]): Required<DevTokenOptions> {
  let userId: string | undefined;
  let ttlSeconds: number | undefined;
  let operator = false;
  const groups: string[] = [];
  const chosenScopes: Scope[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    // `--user alice` and `--user=alice` alike; a following option is never taken as a value.
    const value = (): string => {
      if (eq !== -1) return arg.slice(eq + 1);
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new Error(`${name} needs a value`);
      return next;
    };
    switch (name) {
      case '--user': {
        if (userId !== undefined) throw new Error('--user may be given once');
        userId = directoryName(value(), '--user');
        break;
      }
      case '--group':
        groups.push(directoryName(value(), '--group'));
        break;
      case '--operator':
        if (eq !== -1) throw new Error('--operator takes no value');
        operator = true;
        break;
      case '--scope': {
        const scope = value();
        if (!isScope(scope)) {
          throw new Error(`unknown scope "${scope}"; known scopes: ${scopes.join(', ')}`);
        }
        chosenScopes.push(scope);
        break;
      }
      case '--ttl': {
        if (ttlSeconds !== undefined) throw new Error('--ttl may be given once');
        const text = value();
        if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) > maxDevTokenTtlSeconds) {
          throw new Error(
            `--ttl must be whole seconds from 1 to ${maxDevTokenTtlSeconds} (30 days)`,
          );
        }
        ttlSeconds = Number(text);
        break;
      }
      default:
        throw new Error(`unknown argument "${arg}"`);
    }
  }
  if (userId === undefined) throw new Error('--user is required');
  return {
    userId,
    groups: [...new Set(groups)],
    operator,
    // Explicit scopes are taken as given: --operator then only marks the user, and the token
    // acts as an operator only if --scope operator is among them.
    scopes: chosenScopes.length > 0 ? [...new Set(chosenScopes)] : defaultDevTokenScopes(operator),
    ttlSeconds: ttlSeconds ?? defaultDevTokenTtlSeconds,
  };
}

function directoryName(text: string, option: string): string {
  if (!directoryNamePattern.test(text)) {
    throw new Error(
      `${option} "${text}" is not a directory uid (lower-case letters, digits, . _ -; up to 64)`,
    );
  }
  return text;
}

/**
 * The environment with BERTH_SECRET_KEY read from `<data dir>/secret.key` when unset, as the
 * launcher (apps/launcher/main.ts) arranges for the api. Unlike the launcher, it never creates the
 * file: a token signed by a key no api uses would only fail later, less clearly.
 */
function withStoredSecretKey(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env[settings.secretKey.env]) return env;
  const file = join(env[settings.dataDir.env] || settings.dataDir.default, 'secret.key');
  if (!existsSync(file)) {
    throw new Error(
      `${settings.secretKey.env} is unset and ${file} does not exist: set it, or run \`npm start\` once`,
    );
  }
  return { ...env, [settings.secretKey.env]: readFileSync(file, 'utf8').trim() };
}

function main(argv: string[], env: NodeJS.ProcessEnv): number {
  // Checked before anything else, so that no other mistake in a production configuration can
  // hide the refusal, and nothing (not even the secret key) is read there.
  const profile = env[settings.profile.env] || settings.profile.default;
  if (profile !== 'embedded') {
    process.stderr.write(
      `dev-token: refused: development tokens are for the embedded profile only (${settings.profile.env}=${profile})\n`,
    );
    return exitRefused;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${devTokenUsage}\n`);
    return 0;
  }

  let options: Required<DevTokenOptions>;
  try {
    options = parseDevTokenArgs(argv);
  } catch (error) {
    process.stderr.write(`dev-token: ${messageOf(error)}\n${devTokenUsage}\n`);
    return exitFailed;
  }
  let secretKey: Buffer;
  try {
    secretKey = loadConfig(withStoredSecretKey(env)).secretKey;
  } catch (error) {
    // ConfigError lists every problem and never shows the value of a sensitive setting.
    process.stderr.write(`dev-token: ${messageOf(error)}\n`);
    return exitFailed;
  }

  const now = Date.now();
  const token = mintDevToken(secretKey, options, now);
  // The same whole second as the token's exp claim.
  const expires = new Date((Math.floor(now / 1000) + options.ttlSeconds) * 1000).toISOString();
  process.stdout.write(`${token}\n`);
  process.stderr.write(`development-only token for ${options.userId}, expires ${expires}\n`);
  return 0;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

if (require.main === module) process.exitCode = main(process.argv.slice(2), process.env);
