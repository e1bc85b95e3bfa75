import { type HypervisorHost } from './port';

export interface PlacementNeeds {
  /** Memory the VM needs, in MB. */
  memoryMb: number;
  /** Hosts to use only when no other fits (those running the site's other servers). */
  avoid?: readonly string[];
  /** Hosts never to use (the one being evacuated or lost). */
  exclude?: readonly string[];
  /** Memory already promised to moves under way, by host. */
  reservedMb?: Readonly<Record<string, number>>;
}

/**
 * Where a VM should run: a connected host outside maintenance, not excluded, with room for it;
 * hosts to avoid come last, then the one with the most free memory. Undefined when none fits.
 * Both adapters place new VMs with it, and fleet operations choose move targets with it.
 */
export function bestHost(
  hosts: readonly HypervisorHost[],
  needs: PlacementNeeds,
): HypervisorHost | undefined {
  const free = (host: HypervisorHost) =>
    host.memoryMb - host.memoryUsedMb - (needs.reservedMb?.[host.name] ?? 0);
  const avoided = (host: HypervisorHost) => (needs.avoid?.includes(host.name) ? 1 : 0);
  return hosts
    .filter((host) => host.connectionState === 'connected' && !host.inMaintenanceMode)
    .filter((host) => !needs.exclude?.includes(host.name))
    .filter((host) => free(host) >= needs.memoryMb)
    .sort((a, b) => avoided(a) - avoided(b) || free(b) - free(a))[0];
}
