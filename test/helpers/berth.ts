import { type INestApplication } from '@nestjs/common';
import { Client } from '@temporalio/client';
import {
  type ActivityInterceptorsFactory,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createApi } from '../../apps/api/api';
import { createDirectory } from '../../activities/directory/create-directory';
import { type BerthWorker, createBerthWorker, workflowsPath } from '../../apps/worker/worker';
import { type DevTokenOptions, mintDevToken } from '../../libs/auth/dev-token';
import { type BerthConfig } from '../../libs/config';
import { type Orm } from '../../libs/db/orm';
import { createLogger } from '../../libs/logger';
import { berthDataConverter } from '../../libs/temporal/data-converter';
import { failureConverterPath } from '../../libs/temporal/payload-codec';
import { testConfig } from './config';
import { type TestDatabase } from './databases';
import { type TestTemporal } from './temporal';
import { freePort } from './free-port';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test process (webpack takes a second or two). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  // Built with Berth's failure converter, as the worker's own bundling does.
  bundle ??= bundleWorkflowCode({
    workflowsPath,
    failureConverterPath,
    logger: quietBundlerLogger,
  });
  return bundle;
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export interface BerthStack {
  config: BerthConfig;
  orm: Orm;
  temporal: Client;
  apiUrl: string;
  /** Sends a query as `as` (default: the user alice, who may read and write her sites). */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    as?: DevTokenOptions | null,
  ): Promise<GraphQLResponse<T>>;
  /** A development token for the given caller, signed with this stack's key. */
  token(as?: DevTokenOptions): string;
  /** Starts an in-process worker (one is started by startBerth unless `worker: false`). */
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Berth's api (listening on a free loopback port) and, unless told otherwise, its worker, both in
 * this process, on a real database and a real Temporal server, with a task queue of their own.
 */
export async function startBerth(options: {
  db: TestDatabase;
  temporal: TestTemporal;
  taskQueue: string;
  worker?: boolean;
  env?: Record<string, string>;
  /** Default a free port; give one when something must know the api's URL beforehand. */
  apiPort?: number;
  /** Given to the worker: test/helpers/faults.ts injects failures with one. */
  activityInterceptors?: ActivityInterceptorsFactory[];
}): Promise<BerthStack> {
  const port = options.apiPort ?? (await freePort());
  const config = testConfig({
    database: options.db.database,
    temporalAddress: options.temporal.address,
    apiPort: port,
    env: { TEMPORAL_TASK_QUEUE: options.taskQueue, ...options.env },
  });
  const log = createLogger({ level: config.logLevel, name: 'berth-test' });
  // A client that encrypts like Berth's own; the server's connection is shared, not owned.
  const temporal = new Client({
    connection: options.temporal.client.connection,
    namespace: config.temporal.namespace,
    dataConverter: berthDataConverter(config),
  });
  const directory = await createDirectory({ config, log });
  const app: INestApplication = await createApi({
    config,
    orm: options.db.orm,
    temporal,
    log,
    directory,
  });
  await app.listen(port, '127.0.0.1');
  const apiUrl = `http://127.0.0.1:${port}`;

  let worker: { berth: BerthWorker; running: Promise<void> } | undefined;
  const stack: BerthStack = {
    config,
    orm: options.db.orm,
    temporal,
    apiUrl,
    async graphql<T>(
      query: string,
      variables?: Record<string, unknown>,
      as?: DevTokenOptions | null,
    ) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (as !== null) headers.authorization = `Bearer ${stack.token(as)}`;
      const response = await fetch(`${apiUrl}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLResponse<T>;
    },
    token(as: DevTokenOptions = { userId: 'alice' }) {
      return mintDevToken(config.secretKey, as);
    },
    async startWorker() {
      if (worker) return;
      const berth = await createBerthWorker({
        config,
        orm: options.db.orm,
        log,
        connection: options.temporal.nativeConnection,
        workflowBundle: await workflowBundle(),
        activityInterceptors: options.activityInterceptors,
      });
      worker = { berth, running: berth.run() };
    },
    async stopWorker() {
      if (!worker) return;
      worker.berth.shutdown();
      await worker.running;
      worker = undefined;
    },
    async stop() {
      await stack.stopWorker();
      await app.close();
      await directory.close();
    },
  };
  if (options.worker !== false) await stack.startWorker();
  return stack;
}
