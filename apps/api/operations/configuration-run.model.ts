import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { type ConfigurationRunStatus } from '../../../libs/domain';

export enum ConfigurationRunStatusEnum {
  RUNNING = 'running',
  SUCCEEDED = 'succeeded',
  FAILED = 'failed',
}
registerEnumType(ConfigurationRunStatusEnum, { name: 'ConfigurationRunStatus' });

// Compile-time check that the enum and the domain list agree in both directions.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const configurationRunEnumMatchesDomain: Same<
  `${ConfigurationRunStatusEnum}`,
  ConfigurationRunStatus
> = true;

@ObjectType('ConfigurationRun', {
  description:
    "One attempt at configuring the operation's server (a retried run has several), with its output",
})
export class ConfigurationRunModel {
  @Field(() => ID)
  id!: string;

  @Field(() => ConfigurationRunStatusEnum)
  status!: ConfigurationRunStatusEnum;

  @Field(() => String, {
    description: 'The configuration adapter that ran it: `ansible`, `simulated`',
  })
  adapter!: string;

  @Field(() => Int, { description: 'Tasks that succeeded, changed ones included' })
  ok!: number;

  @Field(() => Int, { description: 'Tasks that changed the server' })
  changed!: number;

  @Field(() => Int, { description: 'Tasks that failed' })
  failed!: number;

  @Field(() => Int, { description: 'Hosts that could not be reached' })
  unreachable!: number;

  @Field(() => String, { nullable: true, description: 'The task that failed, when one did' })
  failedTask!: string | null;

  @Field(() => String, { nullable: true, description: 'The host it failed on' })
  failedHost!: string | null;

  @Field(() => GraphQLISODateTime)
  startedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt!: Date | null;
}
