import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** A snapshot of a simulated VM: the size and power state it had when it was taken. */
@Entity({ tableName: 'simulated_snapshot' })
@Unique({ properties: ['vmId', 'name'] })
export class SimulatedSnapshot {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Property({ type: 'string', length: 36, index: true })
  vmId: string;

  @Property({ type: 'string', length: 80 })
  name: string;

  @Property({ type: 'integer' })
  cpus: number;

  @Property({ type: 'integer' })
  memoryMb: number;

  @Property({ type: 'integer' })
  diskGb: number;

  @Enum({ items: ['poweredOn', 'poweredOff'], type: 'string', length: 12 })
  powerState: 'poweredOn' | 'poweredOff';

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(fields: {
    id: string;
    vmId: string;
    name: string;
    cpus: number;
    memoryMb: number;
    diskGb: number;
    powerState: 'poweredOn' | 'poweredOff';
  }) {
    this.id = fields.id;
    this.vmId = fields.vmId;
    this.name = fields.name;
    this.cpus = fields.cpus;
    this.memoryMb = fields.memoryMb;
    this.diskGb = fields.diskGb;
    this.powerState = fields.powerState;
  }
}
