import 'reflect-metadata';
import { Connection } from '@temporalio/client';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type BerthConfig, ConfigError, loadConfig } from '../../libs/config';
import { ensureDefaultPools } from '../../libs/network/default-pools';
import { migrate, openOrm, setOrmLogger } from '../../libs/db/orm';
import { createLogger, type Logger } from '../../libs/logger';
import {
  type DevServer,
  startDevServer,
  stopChild,
  waitForTemporal,
} from '../../libs/temporal/dev-server';
import { createDirectory } from '../../activities/directory/create-directory';
import { type DevLoginProvider, startDevLoginProvider } from '../dev-login/dev-login-provider';
import { registerSearchAttributes } from '../../libs/temporal/search-attributes';
import { requireTemporalCli } from '../../libs/temporal/temporal-cli';

/**
 * `npm start`: runs Berth on one machine. Starts (or reuses, when TEMPORAL_ADDRESS is set) a
 * Temporal dev server, migrates the database, starts the worker and the api as child processes,
 * prints the URLs, and on Ctrl-C stops the api, lets the worker drain, and stops the dev server if
 * it started it.
 */
async function main(): Promise<void> {
  const env = withSecretKey({ ...process.env });
  const config = loadConfig(env);
  const log = createLogger({ level: config.logLevel, name: 'berth' });
  mkdirSync(config.dataDir, { recursive: true });
  setOrmLogger(log);

  let devServer: DevServer | undefined;
  if (config.temporal.configuredAddress === undefined) {
    const cli = requireTemporalCli({ configured: config.temporal.cli, pathEnv: process.env.PATH });
    log.info({ cli, port: config.temporal.devPort }, 'starting the Temporal dev server');
    devServer = await startDevServer({
      cli,
      port: config.temporal.devPort,
      uiPort: config.temporal.uiPort,
      dbFile: join(config.dataDir, 'temporal.sqlite'),
      namespace: config.temporal.namespace,
      onOutput: (line) => log.debug({ component: 'temporal' }, line),
    });
  } else {
    log.info({ address: config.temporal.address }, 'using the configured Temporal server');
    await waitForTemporal(config.temporal.address, 30_000);
  }
  try {
    const connection = await Connection.connect({ address: config.temporal.address });
    await registerSearchAttributes(connection, config.temporal.namespace);
    await connection.close();

    const orm = await openOrm(config.database);
    await migrate(orm);
    const pools = await ensureDefaultPools(orm, config.network);
    await orm.close();
    log.info({ database: config.database.driver, poolsMade: pools }, 'database migrated');
  } catch (error) {
    await devServer?.stop();
    throw error;
  }

  const devLogin = await startDevLogin(config, env, log);
  const children = {
    worker: startChild('worker', env, log),
    api: startChild('api', env, log),
  };
  let stopping = false;
  const stop = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'stopping Berth');
    // The api first, so no new work arrives; then the worker drains its running activities.
    await stopChild(children.api, 10_000);
    await stopChild(children.worker, (config.worker.shutdownGraceSeconds + 5) * 1000);
    if (devServer) await devServer.stop();
    await devLogin?.stop();
    log.info('Berth stopped');
  };
  for (const [name, child] of Object.entries(children)) {
    child.once('exit', (code, signal) => {
      if (stopping) return;
      log.error({ process: name, code, signal }, 'a Berth process exited; stopping the rest');
      void stop(`${name} exited`).then(() => process.exit(1));
    });
  }
  process.once('SIGINT', () => void stop('SIGINT').then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(0)));

  await waitForApi(config, 60_000);
  const ui = devServer?.uiUrl ?? "(the configured Temporal server's UI)";
  process.stdout.write(
    [
      '',
      `Berth is running (profile ${config.profile}, hypervisor ${config.adapters.hypervisor}, ansible ${config.adapters.ansible}, dns ${config.adapters.dns}, mail ${config.adapters.mail}).`,
      `  GraphQL:     ${config.api.publicUrl}/graphql`,
      `  Temporal UI: ${ui}`,
      ...(devLogin
        ? [
            `  Log in:      ${config.api.publicUrl}/auth/login (development provider, for every directory user with whatever password)`,
          ]
        : []),
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

/**
 * DEVELOPMENT ONLY: the login provider for browser login in the embedded profile, unless
 * BERTH_DEV_LOGIN=false or a real provider is configured. Its issuer, client and audience are
 * handed to the api through `env`, as an operator would set them for a real provider; the client
 * secret is new on every start.
 */
async function startDevLogin(
  config: BerthConfig,
  env: NodeJS.ProcessEnv,
  log: Logger,
): Promise<DevLoginProvider | undefined> {
  if (!config.devLogin.enabled || config.profile !== 'embedded' || config.oidc) return undefined;
  const directory = await createDirectory({ config, log });
  const clientId = 'berth-dev';
  const clientSecret = randomBytes(32).toString('base64url');
  const audience = `${config.api.publicUrl}/graphql`;
  const provider = await startDevLoginProvider({
    port: config.devLogin.port,
    directory,
    clientId,
    clientSecret,
    redirectUri: `${config.api.publicUrl}/auth/callback`,
    audience,
  });
  log.warn(
    { issuer: provider.issuer },
    'started the DEVELOPMENT login provider: anyone listed in the directory logs in with any password',
  );
  Object.assign(env, {
    BERTH_OIDC_ISSUER: provider.issuer,
    BERTH_OIDC_AUDIENCE: audience,
    BERTH_OIDC_CLIENT_ID: clientId,
    BERTH_OIDC_CLIENT_SECRET: clientSecret,
  });
  return {
    issuer: provider.issuer,
    stop: async () => {
      await provider.stop();
      await directory.close();
    },
  };
}

/**
 * The embedded profile keeps its secret key in the data folder, made on first start, so that
 * the api and the worker (and later starts) agree on it.
 */
function withSecretKey(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.BERTH_SECRET_KEY) return env;
  if ((env.BERTH_PROFILE ?? 'embedded') !== 'embedded') return env;
  const dataDir = env.BERTH_DATA_DIR || './data';
  const file = join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  return { ...env, BERTH_SECRET_KEY: readFileSync(file, 'utf8').trim() };
}

function startChild(name: 'api' | 'worker', env: NodeJS.ProcessEnv, log: Logger): ChildProcess {
  // Built, the children are dist/apps/<name>/main.js; run from source (tests), main.ts via SWC.
  const fromSource = __filename.endsWith('.ts');
  const main = join(__dirname, `../${name}/main.${fromSource ? 'ts' : 'js'}`);
  const args = fromSource ? ['-r', '@swc-node/register', main] : [main];
  const child = spawn(process.execPath, args, {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  log.info({ process: name, pid: child.pid }, 'started');
  return child;
}

async function waitForApi(config: BerthConfig, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${config.api.publicUrl}/readyz`, {
        signal: AbortSignal.timeout(2_000),
      });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await delay(250);
  }
  throw new Error(`the api did not become ready at ${config.api.publicUrl} within ${timeoutMs} ms`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError
      ? `${error.message}\n`
      : `berth failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(error instanceof ConfigError ? 2 : 1);
});
