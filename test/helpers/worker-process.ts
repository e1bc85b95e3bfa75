import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type BerthConfig } from '../../libs/config';

/** The worker's main, run from source through SWC like the rest of the tests. */
const workerMain = join(__dirname, '../../apps/worker/main.ts');

export interface WorkerProcess {
  child: ChildProcess;
  /** Output so far, for failure messages. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Runs apps/worker/main.ts as a separate process with the given configuration, as `npm start`
 * does, so a test can kill it with a real signal.
 */
export function startWorkerProcess(
  config: BerthConfig,
  env: Record<string, string>,
): WorkerProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', workerMain], {
    env: {
      ...process.env,
      BERTH_PROFILE: config.profile,
      DATABASE_URL:
        config.database.driver === 'sqlite'
          ? `sqlite:${config.database.path}`
          : config.database.url,
      TEMPORAL_ADDRESS: config.temporal.address,
      TEMPORAL_NAMESPACE: config.temporal.namespace,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      BERTH_SECRET_KEY: config.secretKey.toString('base64'),
      BERTH_PUBLIC_URL: config.api.publicUrl,
      // The worker creates the warm pool's schedules from its own configuration: keep the
      // test's targets (none, usually), or a schedule firing mid-test would build pool VMs.
      BERTH_POOL_TARGETS: config.pool.targets.map((t) => `${t.image}=${t.size}`).join(','),
      BERTH_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
