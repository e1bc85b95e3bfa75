import 'reflect-metadata';
import { temporal as proto } from '@temporalio/proto';
import { SimulatedVm } from '../activities/hypervisor/simulated/simulated-vm.entity';
import { forkEm } from '../libs/db/orm';
import { NetworkConfig, Operation, Site, Vm } from '../libs/domain';
import { provisionWorkflowId, siteWorkflowId } from '../libs/temporal/names';
import { type BerthStack, startBerth } from '../test/helpers/berth';
import { type DatabaseKind, startDatabase, type TestDatabase } from '../test/helpers/databases';
import { startTemporal } from '../test/helpers/temporal';
import { uniqueName } from '../test/helpers/test-names';
import { setTimeout as delay } from 'node:timers/promises';
import { startWorkerProcess, type WorkerProcess } from '../test/helpers/worker-process';
import { runBenchmark, waitFor } from './harness';
import { printResult, printTable } from './report';
import { requestSite } from './site-requests';

/**
 * 100 concurrent site requests; the worker process is SIGKILLed once about 40 of them have a VM
 * and a new one started. Every site must become READY with exactly one VM and one set of
 * addresses: Berth's claim that a lost worker leaves no duplicate.
 */

/** `npx node -r @swc-node/register bench/worker-kill.ts postgresql` runs it on PostgreSQL. */
const databaseKind: DatabaseKind = process.argv[2] === 'postgresql' ? 'postgresql' : 'sqlite';
const sites = 100;
const killAtVms = 40;
const installMs = '2000';
const readyTimeoutMs = 5 * 60_000;
/**
 * No site settling for this long means the rest are stuck: well beyond the longest retry gap
 * (30 s) and one install-wait attempt (30 s), which is what a wait lost with the killed worker
 * takes to come back.
 */
const stallMs = 90_000;
const workerEnv = {
  BERTH_SIMULATED_INSTALL_MS: installMs,
  BERTH_POOL_TARGETS: 'debian-12=0',
  BERTH_LOG_LEVEL: 'warn',
  // A SIGTERM at the end need not wait long for activities.
  BERTH_WORKER_SHUTDOWN_GRACE_SECONDS: '2',
};

runBenchmark('worker-kill', readyTimeoutMs + 90_000, async (defer) => {
  const temporal = await startTemporal();
  defer('the Temporal dev server', () => temporal.teardown());
  const db = await startDatabase(databaseKind);
  defer('the database', () => db.stop());
  // The api runs here; the workers are processes of their own, so one can be SIGKILLed.
  const berth = await startBerth({
    db,
    temporal,
    taskQueue: uniqueName('bench-worker-kill'),
    worker: false,
    env: { BERTH_POOL_TARGETS: 'debian-12=0', BERTH_SIMULATED_INSTALL_MS: installMs },
  });
  defer('the api', () => berth.stop());
  const startWorker = () => {
    const worker = startWorkerProcess(berth.config, workerEnv);
    defer(`worker ${worker.child.pid}`, () => worker.kill('SIGTERM'));
    return worker;
  };

  const first = startWorker();
  const started = performance.now();
  const ids = await Promise.all(Array.from({ length: sites }, () => requestSite(berth, 'Kill')));
  const requestedS = (performance.now() - started) / 1000;
  const vmsAtKill = await waitFor(
    `${killAtVms} simulated VMs (first worker output: ${first.output().slice(-2000)})`,
    () => forkEm(db.orm).count(SimulatedVm, {}),
    (n) => n >= killAtVms,
    { timeoutMs: 120_000, intervalMs: 10 },
  );
  await first.kill('SIGKILL');
  const killedAtS = (performance.now() - started) / 1000;
  const atKill = await statusCounts(db, ids);
  console.log(
    `SIGKILLed the worker at ${killedAtS.toFixed(1)} s with ${vmsAtKill} VMs; sites then: ${JSON.stringify(atKill)}`,
  );

  const second = startWorker();
  const settledCount = () =>
    forkEm(db.orm).count(Site, { id: { $in: ids }, status: { $in: ['ready', 'failed'] } });
  const { settled, lastSettledAt } = await waitForProgress(settledCount, sites);
  /** When the last site that did settle settled, not counting the wait for the stuck ones. */
  const lastSettledS = (lastSettledAt - started) / 1000;
  if (!settled) await describeStuck(berth, db, ids, second);
  const elapsedS = (performance.now() - started) / 1000;
  const final = await statusCounts(db, ids);
  const allReady = final.ready === sites;
  const failures = await failureReasons(berth, db, ids);
  if (Object.keys(failures).length > 0) {
    console.error(`failed provisioning operations by error: ${JSON.stringify(failures, null, 1)}`);
  }
  const duplicates = await countDuplicates(db, ids);

  printTable(
    `${sites} concurrent requests on ${databaseKind}, worker SIGKILLed at ${vmsAtKill} VMs`,
    [
      {
        sites,
        ready: final.ready ?? 0,
        failed: final.failed ?? 0,
        settled,
        requests_s: requestedS,
        killed_at_s: killedAtS,
        last_settled_s: lastSettledS,
        elapsed_s: elapsedS,
        after_kill_s: elapsedS - killedAtS,
      },
    ],
  );
  printTable('rows per site and duplicates (all duplicates must be 0)', [
    { ...duplicates.rows },
    { ...duplicates.duplicates },
  ]);
  // Every count is zero (the row's `table` label is not a count).
  const clean = Object.values(duplicates.duplicates).every((n) => typeof n !== 'number' || n === 0);
  console.log(clean && allReady ? 'no duplicates, every site READY' : 'FAILED: see above');
  printResult('worker-kill', {
    database: databaseKind,
    sites,
    installMs: Number(installMs),
    vmsAtKill,
    sitesAtKill: atKill,
    allReady,
    settled,
    final,
    failures,
    requestedS,
    killedAtS,
    lastSettledS,
    elapsedS,
    afterKillS: elapsedS - killedAtS,
    ...duplicates,
    clean,
  });
  if (!allReady || !clean) throw new Error('not every site became READY exactly once');
});

/**
 * Waits until `count()` reaches `total`; gives up at the overall bound, or earlier once the count
 * has not moved for `stallMs` (a stuck site then waits on a timeout far longer than this run).
 */
async function waitForProgress(
  count: () => Promise<number>,
  total: number,
): Promise<{ settled: boolean; lastSettledAt: number }> {
  const deadline = performance.now() + readyTimeoutMs;
  let last = -1;
  let movedAt = performance.now();
  for (;;) {
    const now = await count();
    if (now === total) return { settled: true, lastSettledAt: performance.now() };
    if (now !== last) [last, movedAt] = [now, performance.now()];
    if (performance.now() > deadline || performance.now() - movedAt > stallMs) {
      console.error(
        `${now}/${total} sites settled; none for ${Math.round((performance.now() - movedAt) / 1000)} s, giving up`,
      );
      return { settled: false, lastSettledAt: movedAt };
    }
    await delay(100);
  }
}

/** Sites by status, e.g. `{ installing: 60, ready: 40 }`. */
async function statusCounts(db: TestDatabase, ids: string[]): Promise<Record<string, number>> {
  const rows = await forkEm(db.orm).find(Site, { id: { $in: ids } }, { fields: ['status'] });
  const counts: Record<string, number> = {};
  for (const { status } of rows) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

async function countDuplicates(db: TestDatabase, ids: string[]) {
  const em = forkEm(db.orm);
  const [vms, simulated, networks, operations] = await Promise.all([
    em.find(Vm, {}),
    forkEm(db.orm).find(SimulatedVm, {}),
    forkEm(db.orm).find(NetworkConfig, {}),
    forkEm(db.orm).find(Operation, { siteId: { $in: ids } }),
  ]);
  const repeats = (values: (string | null)[]) =>
    values.length - new Set(values.filter((v) => v !== null)).size;
  const vmIds = new Set(vms.map((vm) => vm.id));
  return {
    rows: {
      table: 'rows',
      sites: ids.length,
      vm: vms.length,
      simulated_vm: simulated.length,
      network_config: networks.length,
      operations_succeeded: operations.filter((o) => o.status === 'succeeded').length,
    },
    duplicates: {
      table: 'duplicates',
      // Rows beyond one per site (fewer is a stalled site, reported above, not a duplicate).
      extraVms: Math.max(0, vms.length - ids.length),
      sitesWithSeveralVms: repeats(vms.map((vm) => vm.siteId)),
      extraSimulatedVms: Math.max(0, simulated.length - ids.length),
      /** Machines on the hypervisor that no VM row knows. */
      orphanSimulatedVms: simulated.filter((s) => !vmIds.has(s.vmId)).length,
      extraNetworkConfigs: Math.max(0, networks.length - ids.length),
      sitesWithSeveralAddresses: repeats(networks.map((n) => n.siteId)),
      ipv4UsedTwice: repeats(networks.map((n) => n.ipv4)) + repeats(simulated.map((s) => s.ipv4)),
      ipv6UsedTwice: repeats(networks.map((n) => n.ipv6)) + repeats(simulated.map((s) => s.ipv6)),
      hostnameUsedTwice:
        repeats(networks.map((n) => n.hostname)) + repeats(simulated.map((s) => s.hostname)),
    },
  };
}

/**
 * Why provisioning failed, counted: the operation's error, and the activity failures and timeouts
 * in the site's and its provisioning child's histories (ids and numbers blanked out).
 */
async function failureReasons(
  berth: BerthStack,
  db: TestDatabase,
  ids: string[],
): Promise<Record<string, number>> {
  const failed = await forkEm(db.orm).find(Operation, { siteId: { $in: ids }, status: 'failed' });
  const reasons: Record<string, number> = {};
  const add = (reason: string) => {
    const key = reason
      // Long quoted base64 (task tokens) is secret even in a benchmark's output.
      .replace(/'[A-Za-z0-9+/=]{40,}'/g, "'<secret>'")
      .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>')
      .replace(/\d+/g, 'N');
    reasons[key] = (reasons[key] ?? 0) + 1;
  };
  const { EventType } = proto.api.enums.v1;
  for (const operation of failed) {
    add(`operation: ${operation.error ?? '(no error)'}`);
    if (operation.siteId === null) continue;
    const vm = await forkEm(db.orm).findOne(Vm, { siteId: operation.siteId });
    const workflowIds = [
      siteWorkflowId(operation.siteId),
      ...(vm ? [provisionWorkflowId(vm.id)] : []),
    ];
    for (const workflowId of workflowIds) {
      const history = await berth.temporal.workflow.getHandle(workflowId).fetchHistory();
      const events = history.events ?? [];
      const typeOf = (scheduledId: unknown) =>
        events.find((e) => String(e.eventId) === String(scheduledId))
          ?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      for (const event of events) {
        if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED) {
          const attributes = event.activityTaskFailedEventAttributes;
          const failure = attributes?.failure;
          add(
            `${typeOf(attributes?.scheduledEventId)} failed: ${failure?.message ?? ''}` +
              ` (${failure?.applicationFailureInfo?.type ?? ''}` +
              `${failure?.applicationFailureInfo?.nonRetryable ? ', non-retryable' : ''})`,
          );
        } else if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT) {
          const attributes = event.activityTaskTimedOutEventAttributes;
          add(`${typeOf(attributes?.scheduledEventId)} timed out`);
        }
      }
    }
  }
  return reasons;
}

/** What the sites that never became READY wait for: their workflows' pending activities. */
async function describeStuck(
  berth: BerthStack,
  db: TestDatabase,
  ids: string[],
  worker: WorkerProcess,
): Promise<void> {
  const stuck = await forkEm(db.orm).find(
    Site,
    { id: { $in: ids }, status: { $nin: ['ready', 'failed'] } },
    { fields: ['id', 'status'] },
  );
  console.error(`${stuck.length} sites unsettled: ${JSON.stringify(await statusCounts(db, ids))}`);
  const waits: Record<string, number> = {};
  const count = (key: string) => (waits[key] = (waits[key] ?? 0) + 1);
  for (const site of stuck) {
    const vm = await forkEm(db.orm).findOne(
      Vm,
      { siteId: site.id },
      { populate: ['installTaskToken'] },
    );
    const machine = vm && (await forkEm(db.orm).findOne(SimulatedVm, { vmId: vm.id }));
    // Which half of the install rendezvous happened: the callback (installedAt), the waiter (token).
    count(
      `vm ${vm?.status ?? 'none'}, simulated ${machine?.installState ?? 'none'}, ` +
        `installedAt ${vm?.installedAt ? 'set' : 'unset'}, ` +
        `waiter ${vm?.installTaskToken ? 'registered' : 'not registered'}`,
    );
    const workflowIds = [siteWorkflowId(site.id), ...(vm ? [provisionWorkflowId(vm.id)] : [])];
    for (const workflowId of workflowIds) {
      const description = await berth.temporal.workflow.getHandle(workflowId).describe();
      for (const activity of description.raw.pendingActivities ?? []) {
        const state = proto.api.enums.v1.PendingActivityState[activity.state ?? 0];
        count(
          `${activity.activityType?.name} attempt ${activity.attempt} ${state}` +
            (activity.lastFailure ? ` last failure: ${activity.lastFailure.message}` : ''),
        );
      }
    }
  }
  console.error(`what those sites wait on: ${JSON.stringify(waits, null, 1)}`);
  const tail = worker
    .output()
    .trim()
    .split('\n')
    .slice(-3)
    .map((line) => line.slice(0, 400));
  console.error(`second worker output, last lines (cut):\n${tail.join('\n')}`);
}
