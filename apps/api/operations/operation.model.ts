import { type OperationKind, type OperationStatus } from '../../../libs/domain';
import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum OperationStatusEnum {
  QUEUED = 'queued',
  RUNNING = 'running',
  SUCCEEDED = 'succeeded',
  FAILED = 'failed',
}
registerEnumType(OperationStatusEnum, {
  name: 'OperationStatus',
  valuesMap: {
    QUEUED: {
      description:
        'Waiting to start: an OS upgrade waits so while as many upgrades as the fleet allows (BERTH_MAX_PENDING_UPGRADES) are running',
    },
    RUNNING: { description: 'Started, and not yet ended' },
    SUCCEEDED: { description: 'Ended, done' },
    FAILED: { description: 'Ended, not done, or called off; `error` says why' },
  },
});

export enum OperationKindEnum {
  PROVISION = 'provision',
  CONFIGURE = 'configure',
  DISABLE = 'disable',
  ENABLE = 'enable',
  SUSPEND = 'suspend',
  UNSUSPEND = 'unsuspend',
  QUARANTINE = 'quarantine',
  RELEASE_QUARANTINE = 'release-quarantine',
  CANCEL = 'cancel',
  REVERT_CANCELLATION = 'revert-cancellation',
  DELETE = 'delete',
  SET_RENEWAL = 'set-renewal',
  POWER_ON = 'power-on',
  POWER_OFF = 'power-off',
  REBOOT = 'reboot',
  RESET = 'reset',
  CREATE_SNAPSHOT = 'create-snapshot',
  REVERT_SNAPSHOT = 'revert-snapshot',
  DELETE_SNAPSHOT = 'delete-snapshot',
  CREATE_TEST_SERVER = 'create-test-server',
  RESTORE_BACKUP = 'restore-backup',
  SWITCH_TEST_SERVER = 'switch-test-server',
  DELETE_TEST_SERVER = 'delete-test-server',
  BACK_UP = 'back-up',
  UPGRADE = 'upgrade',
  APPROVE_UPGRADE = 'approve-upgrade',
  CANCEL_UPGRADE = 'cancel-upgrade',
  EVACUATE_HOST = 'evacuate-host',
  RETURN_HOST = 'return-host',
  MIGRATE_VM = 'migrate-vm',
  FAILOVER_HOST = 'failover-host',
}
registerEnumType(OperationKindEnum, { name: 'OperationKind' });

// Compile-time check that the enums and the domain lists agree in both directions.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const operationEnumsMatchDomain: [
  Same<`${OperationKindEnum}`, OperationKind>,
  Same<`${OperationStatusEnum}`, OperationStatus>,
] = [true, true];

@ObjectType('Operation', {
  description: 'Work started on a site, or on the fleet (operators), with progress to follow',
})
export class OperationModel {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { nullable: true, description: 'The site; null for a fleet operation' })
  siteId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "A fleet operation's host or VM; null for a site's operations",
  })
  target!: string | null;

  @Field(() => OperationKindEnum)
  kind!: OperationKindEnum;

  @Field(() => OperationStatusEnum)
  status!: OperationStatusEnum;

  @Field(() => Int, { description: '0 to 100' })
  progress!: number;

  @Field(() => String, { description: 'What the operation is doing now' })
  step!: string;

  @Field(() => String, { nullable: true, description: 'Why it failed, when it did' })
  error!: string | null;

  @Field(() => String, { description: 'Temporal workflow id, to follow it in the Temporal UI' })
  workflowId!: string;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt!: Date | null;
}
