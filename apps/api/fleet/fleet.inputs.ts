import { Field, ID, InputType } from '@nestjs/graphql';
import { IsString, IsUUID, Length, Matches } from 'class-validator';
import { IdempotencyKeyField } from '../graphql/idempotency-key';

/** Host names as hypervisors give them: letters, digits, dots, dashes and underscores. */
const hostName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

@InputType('HostOperationInput', { description: 'A fleet operation on one host (operators)' })
export class HostOperationInput {
  @Field(() => String)
  @IsString()
  @Length(1, 200)
  @Matches(hostName, { message: 'host may hold letters, digits and ._-' })
  host!: string;

  @IdempotencyKeyField()
  idempotencyKey?: string;
}

@InputType('MoveVmInput', { description: 'Live-migrate one VM to a named host (operators)' })
export class MoveVmInput extends HostOperationInput {
  @Field(() => ID)
  @IsUUID('4')
  vmId!: string;
}
