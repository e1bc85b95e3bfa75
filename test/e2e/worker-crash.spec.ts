import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedVm } from '../../activities/hypervisor/simulated/simulated-vm.entity';
import { forkEm } from '../../libs/db/orm';
import { NetworkConfig, Operation, Vm } from '../../libs/domain';
import { type BerthStack, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import {
  type RequestSiteData,
  requestSiteMutation,
  type SiteData,
  siteQuery,
} from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

/** Long enough that the first worker is surely killed while the server is still installing. */
const installMs = '4000';

describe.each(databaseKinds)('a worker killed during provisioning on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    // The api runs here; the workers are separate processes that the test can SIGKILL.
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName(`worker-crash-${kind}`),
      worker: false,
    });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  it.skipIf(skip)(
    'still makes the site READY with one VM and one address',
    async () => {
      const first = startWorkerProcess(berth.config, { BERTH_SIMULATED_INSTALL_MS: installMs });
      workers.push(first);
      const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
        input: { name: uniqueName('Crash'), contactEmail: 'owner@example.org' },
      });
      const result = response.data?.requestSite;
      if (!result || !('site' in result))
        throw new Error(`request failed: ${JSON.stringify(response)}`);
      const siteId = result.site.id;

      // Kill the worker once the VM exists and its install is under way.
      await eventually(
        `the VM being created by the first worker (output: ${first.output()})`,
        () => forkEm(db.orm).count(SimulatedVm, {}),
        (n) => n === 1,
        60_000,
      );
      await first.kill('SIGKILL');
      expect(first.child.signalCode).toBe('SIGKILL');
      const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId });
      expect(vm.status).not.toBe('ready');

      const second = startWorkerProcess(berth.config, { BERTH_SIMULATED_INSTALL_MS: installMs });
      workers.push(second);
      await eventually(
        'the site becoming READY after the restart',
        async () => (await berth.graphql<SiteData>(siteQuery, { id: siteId })).data?.site,
        (site) => site?.status === 'READY',
        90_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\nsecond worker output:\n${second.output()}`);
      });

      const em = forkEm(db.orm);
      expect(await em.count(SimulatedVm, {})).toBe(1);
      expect(await em.count(Vm, { siteId })).toBe(1);
      expect(await em.count(NetworkConfig, { siteId })).toBe(1);
      expect(await em.count(NetworkConfig, {})).toBe(1);
      const operation = await em.findOneOrFail(Operation, { siteId });
      expect(operation.status).toBe('succeeded');
      // Room for the waits above (60 s, then 90 s): the lost worker's activities time out first.
    },
    180_000,
  );
});
