import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { searchAttributes } from '../../libs/temporal/names';
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

/**
 * A real Temporal dev server (the CLI's start-dev) on a free loopback port, with Berth's search
 * attributes registered. Stop it with `env.teardown()`.
 */
export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  if (temporalCli === undefined) throw new Error('Temporal CLI not found; run scripts/setup');
  if (!runtimeInstalled) {
    // The SDK's own INFO lines (bundling, worker state) drown test output; warnings still show.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCli },
      ip: '127.0.0.1',
      searchAttributes: Object.values(searchAttributes),
      extraArgs: ['--log-level', 'error'],
    },
  });
}
