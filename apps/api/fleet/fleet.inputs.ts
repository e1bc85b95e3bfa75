import { Field, ID, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';

/** Host names as hypervisors give them: letters, digits, dots, dashes and underscores. */
const hostName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

@InputType('HostOperationInput', { description: 'A fleet operation on one host (operators)' })
export class HostOperationInput {
  @Field(() => String)
  @IsString()
  @Length(1, 200)
  @Matches(hostName, { message: 'host may hold letters, digits and ._-' })
  host!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Repeat with the same key to get the same operation, not a second one',
  })
  @IsOptional()
  @IsString()
  @Length(8, 100)
  @Matches(/^[A-Za-z0-9._:-]+$/, { message: 'idempotencyKey may hold letters, digits and ._:-' })
  idempotencyKey?: string;
}

@InputType('MoveVmInput', { description: 'Live-migrate one VM to a named host (operators)' })
export class MoveVmInput extends HostOperationInput {
  @Field(() => ID)
  @IsUUID('4')
  vmId!: string;
}
