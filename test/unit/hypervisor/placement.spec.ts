import { describe, expect, it } from 'vitest';
import { bestHost } from '../../../activities/hypervisor/placement';
import { type HypervisorHost } from '../../../activities/hypervisor/port';

function host(
  name: string,
  freeMb: number,
  overrides: Partial<HypervisorHost> = {},
): HypervisorHost {
  return {
    ref: name,
    name,
    connectionState: 'connected',
    inMaintenanceMode: false,
    cpuCores: 8,
    cpuMhz: 16_000,
    cpuUsedMhz: 0,
    memoryMb: 64_000,
    memoryUsedMb: 64_000 - freeMb,
    vmCount: 0,
    ...overrides,
  };
}

describe('bestHost', () => {
  const hosts = [host('a', 4_000), host('b', 8_000), host('c', 2_000)];

  it('takes the host with the most free memory', () => {
    expect(bestHost(hosts, { memoryMb: 1_000 })?.name).toBe('b');
  });

  it('skips hosts that are disconnected, in maintenance, excluded or too full', () => {
    const unusable = [
      host('down', 50_000, { connectionState: 'notResponding' }),
      host('serviced', 50_000, { inMaintenanceMode: true }),
      ...hosts,
    ];
    expect(bestHost(unusable, { memoryMb: 1_000, exclude: ['b'] })?.name).toBe('a');
    expect(bestHost(unusable, { memoryMb: 5_000, exclude: ['b'] })).toBeUndefined();
  });

  it('uses hosts to avoid only when nothing else fits', () => {
    expect(bestHost(hosts, { memoryMb: 1_000, avoid: ['b'] })?.name).toBe('a');
    expect(bestHost(hosts, { memoryMb: 5_000, avoid: ['b'] })?.name).toBe('b');
  });

  it('counts memory already promised to moves under way', () => {
    expect(bestHost(hosts, { memoryMb: 1_000, reservedMb: { b: 6_000 } })?.name).toBe('a');
    expect(
      bestHost(hosts, { memoryMb: 3_000, reservedMb: { a: 2_000, b: 6_000 } }),
    ).toBeUndefined();
  });
});
