import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HypervisorError } from '../../../activities/hypervisor/errors';
import { type VmSpec } from '../../../activities/hypervisor/port';
import {
  VsphereHypervisor,
  type VsphereSettings,
} from '../../../activities/hypervisor/vsphere/vsphere-hypervisor';
import { freePort } from '../../helpers/free-port';
import { testVmSpec } from '../../helpers/vm-spec';
import { startVcsim, type Vcsim, vcsimUnavailable, vsphereSettings } from '../../helpers/vcsim';

/**
 * The vsphere adapter's error mapping, proved against vcsim: each class of failure the
 * simulator can produce (refused credentials, an untrusted certificate, nothing listening, a
 * slow answer, a host in maintenance, a session ended under the client, a missing template,
 * hosts that cannot take VMs) arrives as the HypervisorError kind that decides whether Temporal
 * retries. vcsim cannot make a VM busy (TaskInProgress, MethodDisabled: its vCenter model has no
 * DisableMethods), so that mapping is covered by the unit tests only.
 */
describe.skipIf(vcsimUnavailable())('the vsphere adapter against vcsim faults', () => {
  let vcsim: Vcsim;
  const adapters: VsphereHypervisor[] = [];

  beforeAll(async () => {
    vcsim = await startVcsim();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(adapters.map((adapter) => adapter.close()));
    await vcsim?.stop();
  });

  function adapter(overrides: Partial<VsphereSettings> = {}): VsphereHypervisor {
    const created = new VsphereHypervisor({ ...vsphereSettings(vcsim), ...overrides });
    adapters.push(created);
    return created;
  }

  function spec(): VmSpec {
    return testVmSpec('faults', { memoryMb: 512 });
  }

  async function refusal(call: Promise<unknown>): Promise<HypervisorError> {
    const error = await call.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(HypervisorError);
    return error as HypervisorError;
  }

  it('refuses a wrong password for good, without the password in the error', async () => {
    const error = await refusal(adapter({ password: 'wrong-password-42' }).listHosts());
    expect(error).toMatchObject({
      kind: 'HypervisorDenied',
      fault: 'InvalidLogin',
      retryable: false,
    });
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain(
      'wrong-password-42',
    );
  });

  it('refuses a server its CA does not vouch for, for good', async () => {
    const error = await refusal(adapter({ caPem: undefined }).listHosts());
    expect(error).toMatchObject({ kind: 'HypervisorDenied', retryable: false });
    expect(error.message).toMatch(/not trusted/);
  });

  it('retries when nothing answers', async () => {
    const port = await freePort();
    const error = await refusal(adapter({ url: `https://127.0.0.1:${port}/sdk` }).listHosts());
    expect(error).toMatchObject({ kind: 'HypervisorUnavailable', retryable: true });
  });

  it('gives up on a template that does not exist', async () => {
    const error = await refusal(adapter({ template: 'no-such-template' }).createVm(spec()));
    expect(error).toMatchObject({ kind: 'HypervisorNotFound', retryable: false });
  });

  it('gives up on powering on a VM whose host is in maintenance', async () => {
    const hypervisor = adapter();
    const vm = await hypervisor.createVm(spec());
    await hypervisor.power(vm.vmId, 'off');
    const host = `/DC0/host/DC0_C0/${vm.host}`;
    await vcsim.govc('host.maintenance.enter', host);
    try {
      const error = await refusal(hypervisor.power(vm.vmId, 'on'));
      expect(error).toMatchObject({
        kind: 'HypervisorInvalidState',
        fault: 'InvalidState',
        retryable: false,
      });
    } finally {
      await vcsim.govc('host.maintenance.exit', host);
    }
    expect((await hypervisor.power(vm.vmId, 'on')).powerState).toBe('poweredOn');
  });

  it('retries a call the server is too slow to answer', async () => {
    const slow = await startVcsim({ extraArgs: ['-method-delay', 'FindByInventoryPath:3000'] });
    try {
      const hypervisor = new VsphereHypervisor({ ...vsphereSettings(slow), requestTimeoutMs: 500 });
      adapters.push(hypervisor);
      const error = await refusal(hypervisor.listHosts());
      expect(error).toMatchObject({ kind: 'HypervisorUnavailable', retryable: true });
      expect(error.message).toMatch(/ETIMEDOUT/);
    } finally {
      await slow.stop();
    }
  });

  it('logs in again when its session is ended under it', async () => {
    const hypervisor = adapter();
    await hypervisor.listHosts();
    const sessions = JSON.parse(await vcsim.govc('session.ls', '-json')) as {
      sessionList: { key: string; userAgent: string }[];
    };
    const ours = sessions.sessionList.filter((session) => session.userAgent === 'berth-vsphere');
    expect(ours.length).toBeGreaterThan(0);
    await vcsim.govc('session.rm', ...ours.map((session) => session.key));
    expect((await hypervisor.listHosts()).length).toBe(3);
  });

  it('places VMs only on connected hosts outside maintenance, and says when none is left', async () => {
    const hypervisor = adapter();
    const cluster = '/DC0/host/DC0_C0';
    await vcsim.govc('host.disconnect', `${cluster}/DC0_C0_H0`);
    await vcsim.govc('host.maintenance.enter', `${cluster}/DC0_C0_H1`);
    try {
      const hosts = await hypervisor.listHosts();
      expect(hosts.find((host) => host.name === 'DC0_C0_H0')?.connectionState).toBe('disconnected');
      expect(hosts.find((host) => host.name === 'DC0_C0_H1')?.inMaintenanceMode).toBe(true);
      for (let i = 0; i < 3; i++) {
        expect((await hypervisor.createVm(spec())).host).toBe('DC0_C0_H2');
      }
      await vcsim.govc('host.maintenance.enter', `${cluster}/DC0_C0_H2`);
      const error = await refusal(hypervisor.createVm(spec()));
      expect(error).toMatchObject({ kind: 'NoCapacity', retryable: false });
    } finally {
      await vcsim.govc('host.maintenance.exit', `${cluster}/DC0_C0_H2`).catch(() => undefined);
      await vcsim.govc('host.maintenance.exit', `${cluster}/DC0_C0_H1`);
      await vcsim.govc('host.reconnect', `${cluster}/DC0_C0_H0`);
    }
  });
});
