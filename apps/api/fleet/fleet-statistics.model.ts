import { Field, Float, GraphQLISODateTime, Int, ObjectType } from '@nestjs/graphql';
import { AddressFamilyEnum } from '../network/address-pool.model';
import { OperationKindEnum } from '../operations/operation.model';
import { SiteStatusEnum } from '../sites/site-status.enum';

@ObjectType('SiteStatusCount')
export class SiteStatusCountModel {
  @Field(() => SiteStatusEnum)
  status!: SiteStatusEnum;

  @Field(() => Int)
  count!: number;
}

@ObjectType('VmCount', { description: 'VMs of one status on one host' })
export class VmCountModel {
  @Field(() => String, { nullable: true, description: 'Null for VMs not placed on a host yet' })
  host!: string | null;

  @Field(() => String, { description: 'As on HostVm.status' })
  status!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType('AddressFamilyUsage', {
  description: 'Addresses of one family over every pool (see addressPools for each pool)',
})
export class AddressFamilyUsageModel {
  @Field(() => AddressFamilyEnum)
  family!: AddressFamilyEnum;

  @Field(() => Int, { description: 'Pools of this family, enabled or not' })
  pools!: number;

  @Field(() => Float, { description: 'Addresses the enabled pools can hand out at most' })
  capacity!: number;

  @Field(() => Int, { description: 'Addresses held by servers, in any pool' })
  allocated!: number;

  @Field(() => Int, { description: 'Released addresses still in their hold period, in any pool' })
  held!: number;

  @Field(() => Float, { description: 'Addresses a new server could get now (enabled pools)' })
  free!: number;
}

@ObjectType('OperationKindCount', {
  description:
    'Operations of one kind: queued or running now, and finished since FleetStatistics.since',
})
export class OperationKindCountModel {
  @Field(() => OperationKindEnum)
  kind!: OperationKindEnum;

  @Field(() => Int, {
    description: 'Waiting to start (OS upgrades past BERTH_MAX_PENDING_UPGRADES)',
  })
  queued!: number;

  @Field(() => Int)
  running!: number;

  @Field(() => Int)
  succeeded!: number;

  @Field(() => Int)
  failed!: number;
}

@ObjectType('FleetStatistics', { description: 'Counts over the whole fleet (operators)' })
export class FleetStatisticsModel {
  @Field(() => GraphQLISODateTime, { description: 'When these were counted' })
  at!: Date;

  @Field(() => Int, { description: 'Every site, whatever its status (deleted ones too)' })
  siteCount!: number;

  @Field(() => [SiteStatusCountModel], { description: 'Sites per status, every status listed' })
  sites!: SiteStatusCountModel[];

  @Field(() => [VmCountModel], { description: 'VMs per host and status (warm-pool VMs too)' })
  vms!: VmCountModel[];

  @Field(() => [AddressFamilyUsageModel], { description: 'IPv4 then IPv6' })
  addresses!: AddressFamilyUsageModel[];

  @Field(() => GraphQLISODateTime, { description: 'Start of the last 24 hours' })
  since!: Date;

  @Field(() => Int, { description: 'Operations running now' })
  runningOperations!: number;

  @Field(() => Int, { description: 'Operations that failed since `since`' })
  failedOperations!: number;

  @Field(() => [OperationKindCountModel], {
    description: 'Per kind, the kinds with an operation queued, running, or finished since `since`',
  })
  operations!: OperationKindCountModel[];
}
