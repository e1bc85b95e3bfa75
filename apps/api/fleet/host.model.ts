import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { type HostConnectionState } from '../../../libs/domain';

export enum HostConnectionStateEnum {
  CONNECTED = 'connected',
  DISCONNECTED = 'disconnected',
  NOT_RESPONDING = 'notResponding',
}
registerEnumType(HostConnectionStateEnum, { name: 'HostConnectionState' });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const hostConnectionStateMatchesDomain: Same<
  `${HostConnectionStateEnum}`,
  HostConnectionState
> = true;

@ObjectType('HostVm', { description: 'A Berth VM on a host, as the read model last saw it' })
export class HostVmModel {
  @Field(() => ID)
  vmId!: string;

  @Field(() => ID, { nullable: true, description: 'Null for a warm-pool VM' })
  siteId!: string | null;

  @Field(() => String)
  status!: string;

  @Field(() => String)
  powerState!: string;

  @Field(() => Int)
  memoryMb!: number;
}

@ObjectType('Host', {
  description: 'A hypervisor host, as the host watcher last saw it (operators)',
})
export class HostModel {
  @Field(() => String)
  name!: string;

  @Field(() => HostConnectionStateEnum)
  connectionState!: HostConnectionStateEnum;

  @Field(() => Boolean)
  inMaintenanceMode!: boolean;

  @Field(() => Int)
  cpuCores!: number;

  @Field(() => Int, { description: 'Total CPU in MHz' })
  cpuMhz!: number;

  @Field(() => Int)
  cpuUsedMhz!: number;

  @Field(() => Int)
  memoryMb!: number;

  @Field(() => Int)
  memoryUsedMb!: number;

  @Field(() => Int, { description: 'Memory a new VM could still get, in MB' })
  memoryFreeMb!: number;

  @Field(() => Int, { description: 'VMs on it, as the hypervisor counts them' })
  vmCount!: number;

  @Field(() => GraphQLISODateTime, { description: 'When the host watcher last read it' })
  seenAt!: Date;

  @Field(() => [HostVmModel], { description: "Berth's VMs on it, as the read model has them" })
  vms!: HostVmModel[];
}
