import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type Client } from '@temporalio/client';
import { DefaultLogger, type NativeConnection, Runtime } from '@temporalio/worker';
import { type DevServer, startDevServer } from '../../libs/temporal/dev-server';
import { freePort } from './free-port';
import { findTemporalCli } from '../../libs/temporal/temporal-cli';
import { serverUnavailable } from './require-server';

export const temporalCli = findTemporalCli({
  configured: process.env.TEMPORAL_CLI,
  pathEnv: process.env.PATH,
});

/** Why Temporal tests cannot run here, or undefined when they can. */
export function temporalUnavailable(): string | undefined {
  return temporalCli === undefined
    ? serverUnavailable('Temporal CLI', 'not on TEMPORAL_CLI, PATH or tools/ (run scripts/setup)')
    : undefined;
}

let runtimeInstalled = false;

/** A running Temporal dev server with a client and a worker connection to it. */
export interface TestTemporal {
  address: string;
  client: Client;
  nativeConnection: NativeConnection;
  teardown(): Promise<void>;
}

/**
 * A real Temporal dev server (the CLI's start-dev, started by the same code as `npm start`) on a
 * free loopback port, in memory, with Berth's search attributes registered.
 */
export async function startTemporal(): Promise<TestTemporal> {
  if (temporalCli === undefined) throw new Error('Temporal CLI not found; run scripts/setup');
  if (!runtimeInstalled) {
    // The SDK's own INFO lines (bundling, worker state) drown test output; warnings still show.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const server = await startDevServerOnFreePort(temporalCli);
  try {
    const env = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address });
    return {
      address: server.address,
      client: env.client,
      nativeConnection: env.nativeConnection,
      async teardown() {
        await env.teardown();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * The dev server on a free port. It also binds ports of its own next to the one given (its HTTP
 * API among them), which another server that test files start in parallel can take first; the
 * server then exits at once, and a new port usually works.
 */
async function startDevServerOnFreePort(cli: string): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServer({ cli, port: await freePort(), namespace: 'default' });
    } catch (error) {
      const exitedEarly = error instanceof Error && error.message.includes('exited with');
      if (!exitedEarly || attempt >= 3) throw error;
    }
  }
}
