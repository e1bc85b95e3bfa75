import {
  type ActivityInterceptorsFactory,
  type NativeConnection,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { type BerthConfig } from '../../libs/config';
import { type Orm } from '../../libs/db/orm';
import { type Logger } from '../../libs/logger';
import { berthDataConverter } from '../../libs/temporal/data-converter';
import { ansibleTaskQueue } from '../../libs/temporal/names';

/** The workflows folder, from source (tests) or from dist (production). */
export const workflowsPath = join(__dirname, '../../workflows');

export interface BerthWorker {
  /** The default task queue's worker: every workflow and activity. */
  worker: Worker;
  /** The configuration runs' queue (`<task queue>-ansible`): `configureServer` and `upgradeServer`. */
  ansibleWorker: Worker;
  /** Runs until shutdown() or a signal, then releases adapters. */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * Creates the workers of one worker process: the default task queue's, with every workflow and
 * activity, and the configuration runs' queue's, whose concurrency (BERTH_ANSIBLE_CONCURRENCY)
 * bounds how many ansible runs this process holds at once. The default worker keeps
 * `configureServer` too, for workflows that scheduled it there before the `ansible-task-queue`
 * patch. Shutdown drains both: running activities get the configured grace time to finish.
 */
export async function createBerthWorker(deps: {
  config: BerthConfig;
  orm: Orm;
  log: Logger;
  connection: NativeConnection;
  taskQueue?: string;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Activity interceptors for both queues (tests inject failures with them). */
  activityInterceptors?: ActivityInterceptorsFactory[];
}): Promise<BerthWorker> {
  const { activities, close } = await createActivities(deps);
  const taskQueue = deps.taskQueue ?? deps.config.temporal.taskQueue;
  const common = {
    connection: deps.connection,
    namespace: deps.config.temporal.namespace,
    dataConverter: berthDataConverter(deps.config),
    shutdownGraceTime: `${deps.config.worker.shutdownGraceSeconds} seconds`,
    ...(deps.activityInterceptors ? { interceptors: { activity: deps.activityInterceptors } } : {}),
  } as const;
  const worker = await Worker.create({
    ...common,
    taskQueue,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath }),
    activities,
  });
  const ansibleWorker = await Worker.create({
    ...common,
    taskQueue: ansibleTaskQueue(taskQueue),
    activities: {
      configureServer: activities.configureServer,
      upgradeServer: activities.upgradeServer,
    },
    maxConcurrentActivityTaskExecutions: deps.config.ansible.concurrency,
  });
  const workers = [worker, ansibleWorker];
  const shutdown = () => {
    for (const one of workers) if (one.getState() === 'RUNNING') one.shutdown();
  };
  return {
    worker,
    ansibleWorker,
    async run() {
      try {
        // One worker failing stops the other: the process serves both queues or neither.
        const results = await Promise.allSettled(workers.map((one) => one.run().finally(shutdown)));
        const failed = results.find((result) => result.status === 'rejected');
        if (failed) throw failed.reason;
      } finally {
        await close();
      }
    },
    shutdown,
  };
}
