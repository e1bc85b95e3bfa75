import 'reflect-metadata';
import { temporal as proto } from '@temporalio/proto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { join } from 'node:path';
import { forkEm } from '../libs/db/orm';
import { Site, Vm } from '../libs/domain';
import { provisionWorkflowId, siteWorkflowId } from '../libs/temporal/names';
import { type BerthStack, startBerth } from '../test/helpers/berth';
import { startDatabase } from '../test/helpers/databases';
import { startTemporal, type TestTemporal } from '../test/helpers/temporal';
import { uniqueName } from '../test/helpers/test-names';
import { type Defer, once, runBenchmark, waitFor } from './harness';
import { createNoOpActivities } from './no-op-activities';
import { printResult, printTable, ratio } from './report';
import { requestSite } from './site-requests';
import { type NoOpSiteInput } from './workflows/no-op-site';
import { type Step } from './workflows/steps';

/**
 * Sites provisioned per second for N concurrent requests through the whole stack (GraphQL api,
 * Temporal, Berth's worker and activities, SQLite, the simulated installer's HTTP callback), against
 * a bare Temporal workflow that takes the same steps (scheduled and local activities and the child
 * workflow, in the order a Berth history of this run shows) with no-op activities, on the same dev
 * server, with its own worker and task queue.
 */

const concurrent = 50;
const warmUp = 2;
const runTimeoutMs = 120_000;
/** Target for issue #3: Berth keeps at least 0.8 of the bare workflow's throughput. */
const ratioTarget = 0.8;

/** What one provisioning did, in order, from the site's and its child's histories. */
interface Shape {
  steps: Step[];
  childSteps: Step[];
}

interface Throughput {
  n: number;
  seconds: number;
  perSecond: number;
}

runBenchmark('provision-throughput', 180_000, async (defer) => {
  const temporal = await startTemporal();
  defer('the Temporal dev server', () => temporal.teardown());

  const berth = await measureBerth(temporal, defer);
  const baseline = await measureBaseline(temporal, defer, berth.shape);

  const ratioToBaseline = ratio(berth.throughput.perSecond, baseline.perSecond);
  printTable(`${concurrent} concurrent provisions`, [
    { run: 'berth (api + worker + SQLite)', ...berth.throughput },
    {
      run: `bare workflow, no-op steps ${berth.shape.steps.join('')} / ${berth.shape.childSteps.join('')}`,
      ...baseline,
    },
  ]);
  console.log(
    `berth / baseline = ${ratioToBaseline.toFixed(2)} (target >= ${ratioTarget}): ` +
      `${ratioToBaseline >= ratioTarget ? 'met' : 'NOT met'}`,
  );
  printResult('provision-throughput', {
    concurrent,
    shape: berth.shape,
    berth: berth.throughput,
    baseline,
    ratio: ratioToBaseline,
    ratioTarget,
    ratioTargetMet: ratioToBaseline >= ratioTarget,
  });
});

async function measureBerth(
  temporal: TestTemporal,
  defer: Defer,
): Promise<{ throughput: Throughput; shape: Shape }> {
  const db = await startDatabase('sqlite');
  const stopDb = once(() => db.stop());
  defer('the database', stopDb);
  const berth = await startBerth({
    db,
    temporal,
    taskQueue: uniqueName('bench-throughput-berth'),
    env: {
      // No pool VMs: every site gets a server built for it, the path being measured.
      BERTH_POOL_TARGETS: 'debian-12=0',
      BERTH_SIMULATED_INSTALL_MS: '0',
      BERTH_SIMULATED_ANSIBLE_TASK_MS: '0',
    },
  });
  const stopBerth = once(() => berth.stop());
  defer('the api and worker', stopBerth);

  const ready = (ids: string[]) => async () => {
    const em = forkEm(db.orm);
    const [done, failed] = await Promise.all([
      em.count(Site, { id: { $in: ids }, status: 'ready' }),
      forkEm(db.orm).count(Site, { id: { $in: ids }, status: 'failed' }),
    ]);
    if (failed > 0) throw new Error(`${failed} site(s) FAILED`);
    return done;
  };
  const provision = async (n: number) => {
    const started = performance.now();
    const ids = await Promise.all(
      Array.from({ length: n }, () => requestSite(berth, 'Throughput')),
    );
    await waitFor(`${n} sites READY`, ready(ids), (done) => done === n, {
      timeoutMs: runTimeoutMs,
      intervalMs: 25,
    });
    return { ids, seconds: (performance.now() - started) / 1000 };
  };

  for (let i = 0; i < warmUp; i++) await provision(1);
  const { ids, seconds } = await provision(concurrent);
  const shape = await countShape(berth, db.orm, ids[0]!);
  await stopBerth();
  await stopDb();
  return { throughput: { n: concurrent, seconds, perSecond: concurrent / seconds }, shape };
}

/** Reads what one provisioning did, in order, from the site's and its child's histories. */
async function countShape(
  berth: BerthStack,
  orm: Parameters<typeof forkEm>[0],
  siteId: string,
): Promise<Shape> {
  const vm = await forkEm(orm).findOneOrFail(Vm, { siteId });
  const steps = async (workflowId: string): Promise<Step[]> => {
    const history = await berth.temporal.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).flatMap((event): Step[] => {
      if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) return ['R'];
      if (event.markerRecordedEventAttributes?.markerName === localActivityMarker) return ['L'];
      if (event.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) {
        return ['C'];
      }
      return [];
    });
  };
  return {
    steps: await steps(siteWorkflowId(siteId)),
    childSteps: await steps(provisionWorkflowId(vm.id)),
  };
}

const { EventType } = proto.api.enums.v1;
/** The marker the SDK records for each local activity. */
const localActivityMarker = 'core_local_activity';

async function measureBaseline(
  temporal: TestTemporal,
  defer: Defer,
  shape: Shape,
): Promise<Throughput> {
  const taskQueue = uniqueName('bench-throughput-baseline');
  const worker = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: join(__dirname, 'workflows'),
      logger: quietBundlerLogger,
    }),
    activities: createNoOpActivities(),
  });
  const running = worker.run();
  const stopWorker = once(async () => {
    worker.shutdown();
    await running;
  });
  defer('the baseline worker', stopWorker);

  const run = async (n: number) => {
    const started = performance.now();
    const handles = await Promise.all(
      Array.from({ length: n }, () => {
        const siteId = uniqueName('baseline');
        const input: NoOpSiteInput = { siteId, steps: shape.steps, childSteps: shape.childSteps };
        return temporal.client.workflow.start('noOpSite', {
          workflowId: `bench-site/${siteId}`,
          taskQueue,
          args: [input],
        });
      }),
    );
    await Promise.all(handles.map((handle) => handle.result()));
    return (performance.now() - started) / 1000;
  };
  for (let i = 0; i < warmUp; i++) await run(1);
  const seconds = await run(concurrent);
  await stopWorker();
  return { n: concurrent, seconds, perSecond: concurrent / seconds };
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};
