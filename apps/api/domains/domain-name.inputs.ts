import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { maxRejectionReasonLength } from '../../../libs/domain';
import { RepeatedArgs } from '../graphql/validation.pipe';

@InputType('ApproveDomainNameInput')
export class ApproveDomainNameInput {
  @Field(() => ID, { description: 'A pending name (pendingDomainNames)' })
  @IsUUID('4')
  id!: string;
}

@InputType('RejectDomainNameInput')
export class RejectDomainNameInput {
  @Field(() => ID, { description: 'A pending name (pendingDomainNames)' })
  @IsUUID('4')
  id!: string;

  @Field(() => String, {
    description: `Told to the site's admins: 1 to ${maxRejectionReasonLength} characters, one line`,
  })
  @IsString()
  @MaxLength(maxRejectionReasonLength)
  @Matches(/\S/, { message: 'reason must not be blank' })
  @Matches(/^[^\p{Cc}\u2028\u2029]*$/u, { message: 'reason must not contain control characters' })
  reason!: string;
}

@ArgsType()
@RepeatedArgs()
export class PendingDomainNamesArgs {
  @Field(() => Int, { defaultValue: 50, description: '1 to 200' })
  @Min(1)
  @Max(200)
  first = 50;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  after?: string;
}
