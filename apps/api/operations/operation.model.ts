import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum OperationStatusEnum {
  RUNNING = 'running',
  SUCCEEDED = 'succeeded',
  FAILED = 'failed',
}
registerEnumType(OperationStatusEnum, { name: 'OperationStatus' });

export enum OperationKindEnum {
  PROVISION = 'provision',
}
registerEnumType(OperationKindEnum, { name: 'OperationKind' });

@ObjectType('Operation', { description: 'Work started on a site, with progress to follow' })
export class OperationModel {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  siteId!: string;

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
