import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';

export const hostConnectionStates = ['connected', 'disconnected', 'notResponding'] as const;
export type HostConnectionState = (typeof hostConnectionStates)[number];

/**
 * A hypervisor host as the host watcher last saw it (read model: the api never calls the
 * hypervisor itself). Written by the `watchHosts` workflow's schedule and by fleet operations.
 */
@Entity({ tableName: 'hypervisor_host' })
export class HypervisorHostRow {
  @PrimaryKey({ type: 'string', length: 200 })
  name: string;

  @Enum({ items: () => hostConnectionStates, type: 'string', length: 16 })
  connectionState: HostConnectionState = 'connected';

  @Property({ type: 'boolean' })
  inMaintenanceMode = false;

  @Property({ type: 'integer' })
  cpuCores = 0;

  @Property({ type: 'integer' })
  cpuMhz = 0;

  @Property({ type: 'integer' })
  cpuUsedMhz = 0;

  @Property({ type: 'integer' })
  memoryMb = 0;

  @Property({ type: 'integer' })
  memoryUsedMb = 0;

  @Property({ type: 'integer' })
  vmCount = 0;

  @Property({ type: 'datetime' })
  seenAt: Date = new Date();

  constructor(name: string) {
    this.name = name;
  }
}
