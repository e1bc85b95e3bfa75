import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';

/** A host of the simulated hypervisor; rows are made on first use, one per simulatedHosts name. */
@Entity({ tableName: 'simulated_host' })
export class SimulatedHost {
  @PrimaryKey({ type: 'string', length: 60 })
  name: string;

  @Property({ type: 'boolean', default: false })
  inMaintenanceMode: boolean = false;

  /** Operators (and tests) disconnect a simulated host to try failover. */
  @Enum({ items: ['connected', 'disconnected', 'notResponding'], type: 'string', length: 16 })
  connectionState: 'connected' | 'disconnected' | 'notResponding' = 'connected';

  constructor(name: string) {
    this.name = name;
  }
}
