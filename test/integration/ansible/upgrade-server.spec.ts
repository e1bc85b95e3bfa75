import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnsibleActivities } from '../../../activities/ansible/activities';
import {
  type Ansible,
  ConfigurationRunError,
  type ConfigurationTarget,
  type UpgradeRequest,
} from '../../../activities/ansible/port';
import { SimulatedAnsible } from '../../../activities/ansible/simulated/simulated-ansible';
import { forkEm } from '../../../libs/db/orm';
import { ConfigurationRun, Site, SiteEvent, Vm } from '../../../libs/domain';
import { startDatabase, type TestDatabase } from '../../helpers/databases';
import { uniqueName } from '../../helpers/test-names';

/**
 * The `upgradeServer` activity on SQLite: which release an image means, what it records, and
 * what it refuses. The adapter is the simulated one, wrapped to see the requests it gets; the
 * playbook itself is tested against a Debian root in runner.spec.ts.
 */

const osReleases: ReadonlyMap<string, string> = new Map([
  ['debian-12', 'bookworm'],
  ['debian-13', 'trixie'],
]);

/** The simulated adapter, keeping the upgrade requests it was given. */
function aRecordingAnsible(upgrade?: Ansible['upgrade']) {
  const simulated = new SimulatedAnsible(0);
  const requests: UpgradeRequest[] = [];
  const ansible: Ansible = {
    name: simulated.name,
    configure: (request, control) => simulated.configure(request, control),
    upgrade: (request, control) => {
      requests.push(request);
      return (upgrade ?? simulated.upgrade.bind(simulated))(request, control);
    },
  };
  return { ansible, requests };
}

/** One workflow's call of the activity; `attempt` makes a retry of it. */
function aCall() {
  const runId = randomUUID();
  const attempt = (number: number) => ({
    environment: new MockActivityEnvironment(
      {
        activityId: '9',
        attempt: number,
        workflowExecution: { workflowId: `site/${randomUUID()}`, runId },
      },
      // The failures these tests cause on purpose would each be logged as a warning.
      { logger: new DefaultLogger('ERROR') },
    ),
    rowId: `${runId}/9/${number}`,
  });
  return { runId, attempt };
}

describe('upgradeServer', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await startDatabase('sqlite');
  });
  afterAll(async () => {
    await db?.stop();
  });

  /** A site with one production server on `image`, and its configuration target. */
  async function aServer(image = 'debian-12'): Promise<ConfigurationTarget> {
    const site = new Site({
      id: randomUUID(),
      name: uniqueName('upgraded'),
      description: 'a site whose server is upgraded',
      owner: 'alice',
      contactEmail: 'alice@example.org',
    });
    const vm = new Vm({ id: randomUUID(), siteId: site.id, cpus: 1, memoryMb: 1024, diskGb: 10 });
    vm.image = image;
    await forkEm(db.orm).persistAndFlush([site, vm]);
    return {
      vmId: vm.id,
      siteId: site.id,
      hostname: `web-${vm.id.slice(0, 8)}.sites.berth.test`,
      ipv4: '192.0.2.20',
      ipv6: '2001:db8:b0::20',
    };
  }

  const vmOf = (id: string) => forkEm(db.orm).findOneOrFail(Vm, id);
  const eventsOf = (siteId: string) =>
    forkEm(db.orm).find(SiteEvent, { siteId, action: 'vm.upgraded' });
  const rowOf = (id: string) =>
    forkEm(db.orm).findOne(ConfigurationRun, id, { populate: ['output'] });

  it("upgrades to the image's release, then records the run, the image and one event", async () => {
    const target = await aServer('debian-12');
    // The site's last configuration applied these people; the upgrade applies none.
    const configured = new ConfigurationRun({
      id: `${randomUUID()}/1/1`,
      vmId: target.vmId,
      siteId: target.siteId,
      operationId: null,
      adapter: 'simulated',
    });
    configured.status = 'succeeded';
    configured.peopleDigest = 'a'.repeat(64);
    configured.finishedAt = new Date();
    await forkEm(db.orm).persistAndFlush(configured);
    const { ansible, requests } = aRecordingAnsible();
    const { upgradeServer } = createAnsibleActivities({
      ansible,
      orm: db.orm,
      secretKey: randomBytes(32),
      osReleases,
    });
    const operationId = randomUUID();
    const call = aCall();
    const first = call.attempt(1);

    const summary = await first.environment.run(upgradeServer, {
      ...target,
      operationId,
      image: 'debian-13',
    });

    expect(requests.map((request) => request.release)).toEqual(['trixie']);
    expect(requests[0]!.target).toEqual(target);
    expect(summary).toEqual({ ok: 3, changed: 3, failed: 0, unreachable: 0 });
    expect(await rowOf(first.rowId)).toMatchObject({
      vmId: target.vmId,
      siteId: target.siteId,
      operationId,
      adapter: 'simulated',
      status: 'succeeded',
      changed: 3,
      peopleDigest: configured.peopleDigest,
    });
    expect((await rowOf(first.rowId))!.output).toContain('simulated upgrade to trixie');
    expect((await vmOf(target.vmId)).image).toBe('debian-13');
    const events = await eventsOf(target.siteId!);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: 'system',
      runId: call.runId,
      summary: `server ${target.hostname} upgraded from debian-12 to debian-13 (Debian trixie)`,
    });

    // A retry of the same call (its first attempt's result was lost): nothing changes, nothing
    // is recorded twice but its own run.
    const retry = call.attempt(2);
    const again = await retry.environment.run(upgradeServer, {
      ...target,
      operationId,
      image: 'debian-13',
    });
    expect(again).toMatchObject({ changed: 0, failed: 0 });
    expect(await rowOf(retry.rowId)).toMatchObject({ status: 'succeeded', changed: 0 });
    expect((await vmOf(target.vmId)).image).toBe('debian-13');
    expect(await eventsOf(target.siteId!)).toHaveLength(1);
  });

  it('refuses an image without a release, for good, before it runs or records anything', async () => {
    const target = await aServer('debian-12');
    const { ansible, requests } = aRecordingAnsible();
    const { upgradeServer } = createAnsibleActivities({
      ansible,
      orm: db.orm,
      secretKey: randomBytes(32),
      osReleases,
    });
    const { environment, rowId } = aCall().attempt(1);

    const error = await environment.run(upgradeServer, { ...target, image: 'windows-11' }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({
      type: 'ConfigurationFailed',
      nonRetryable: true,
      message: `upgrading ${target.hostname} failed: image windows-11 has no Debian release (BERTH_OS_RELEASES)`,
    });
    expect(requests).toEqual([]);
    expect(await rowOf(rowId)).toBeNull();
    expect((await vmOf(target.vmId)).image).toBe('debian-12');
    expect(await eventsOf(target.siteId!)).toEqual([]);
  });

  it('records a failed upgrade and fails as ConfigurationFailed, the image left as it was', async () => {
    const target = await aServer('debian-12');
    const { ansible } = aRecordingAnsible(() =>
      Promise.reject(
        new ConfigurationRunError('task "os_upgrade : Upgrade every package" failed on web', {
          ok: 4,
          changed: 1,
          failed: 1,
          unreachable: 0,
          output: 'E: Unable to fetch some archives',
          failedTask: 'os_upgrade : Upgrade every package',
          failedHost: target.hostname,
        }),
      ),
    );
    const { upgradeServer } = createAnsibleActivities({
      ansible,
      orm: db.orm,
      secretKey: randomBytes(32),
      osReleases,
    });
    const { environment, rowId } = aCall().attempt(1);

    const error = await environment.run(upgradeServer, { ...target, image: 'debian-13' }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({
      type: 'ConfigurationFailed',
      nonRetryable: false,
      message: `upgrading ${target.hostname} to trixie failed: task "os_upgrade : Upgrade every package" failed on web`,
    });
    expect(await rowOf(rowId)).toMatchObject({
      status: 'failed',
      failed: 1,
      failedTask: 'os_upgrade : Upgrade every package',
      failedHost: target.hostname,
      output: 'E: Unable to fetch some archives',
    });
    expect((await vmOf(target.vmId)).image).toBe('debian-12');
    expect(await eventsOf(target.siteId!)).toEqual([]);
  });
});

describe(SimulatedAnsible.name, () => {
  it('reports an upgrade changed once per release, naming the release', async () => {
    const simulated = new SimulatedAnsible(0);
    const progress: string[] = [];
    const request = (release: string): UpgradeRequest => ({
      target: {
        vmId: 'vm-1',
        siteId: null,
        hostname: 'web-1.sites.berth.test',
        ipv4: '192.0.2.30',
        ipv6: '2001:db8:b0::30',
      },
      release,
    });
    const control = { onProgress: (task: string) => progress.push(task) };

    const first = await simulated.upgrade(request('trixie'), control);
    const again = await simulated.upgrade(request('trixie'), control);
    const next = await simulated.upgrade(request('forky'), control);

    expect([first.changed, again.changed, next.changed]).toEqual([3, 0, 3]);
    expect(first.output).toContain(
      'web-1.sites.berth.test: ok=3 changed=3 (simulated upgrade to trixie)',
    );
    expect(next.output).toContain('release forky');
    expect(progress.slice(0, 3)).toEqual([
      'os_upgrade : Point APT at the release',
      'os_upgrade : Upgrade every package to the release',
      'os_upgrade : Record the release',
    ]);
  });
});
