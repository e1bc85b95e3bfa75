import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { type BerthConfig } from '../../libs/config';
import { type Orm } from '../../libs/db/orm';
import { type Logger } from '../../libs/logger';
import { berthDataConverter } from '../../libs/temporal/data-converter';

/** The workflows folder, from source (tests) or from dist (production). */
export const workflowsPath = join(__dirname, '../../workflows');

export interface BerthWorker {
  worker: Worker;
  /** Runs until shutdown() or a signal, then releases adapters. */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * Creates the worker of the default task queue with every workflow and activity. Shutdown drains:
 * running activities get the configured grace time to finish.
 */
export async function createBerthWorker(deps: {
  config: BerthConfig;
  orm: Orm;
  log: Logger;
  connection: NativeConnection;
  taskQueue?: string;
  workflowBundle?: WorkerOptions['workflowBundle'];
}): Promise<BerthWorker> {
  const { activities, close } = await createActivities(deps);
  const worker = await Worker.create({
    connection: deps.connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.taskQueue ?? deps.config.temporal.taskQueue,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath }),
    activities,
    dataConverter: berthDataConverter(deps.config),
    shutdownGraceTime: `${deps.config.worker.shutdownGraceSeconds} seconds`,
  });
  return {
    worker,
    async run() {
      try {
        await worker.run();
      } finally {
        await close();
      }
    },
    shutdown: () => worker.shutdown(),
  };
}
