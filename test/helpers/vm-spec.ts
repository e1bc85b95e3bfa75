import { randomUUID } from 'node:crypto';
import { type VmSpec } from '../../activities/hypervisor/port';

/**
 * A VM for adapter tests: a fresh Berth id, a host name from `prefix`, and a callback that goes
 * nowhere (these tests are about the machine, not its installer).
 */
export function testVmSpec(prefix: string, overrides: Partial<VmSpec> = {}): VmSpec {
  const vmId = randomUUID();
  return {
    vmId,
    siteId: null,
    hostname: `${prefix}-${vmId.slice(0, 8)}.sites.berth.test`,
    ipv4: '192.0.2.10',
    ipv6: '2001:db8::10',
    cpus: 1,
    memoryMb: 1024,
    diskGb: 10,
    callback: { url: `http://127.0.0.1:9/callbacks/vm/${vmId}`, token: 'not-a-real-token' },
    ...overrides,
  };
}
