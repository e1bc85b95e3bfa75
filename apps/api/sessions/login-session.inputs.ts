import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { directoryNamePattern } from '../../../libs/auth/principal';
import { RepeatedArgs } from '../graphql/validation.pipe';

@InputType('EndLoginSessionInput')
export class EndLoginSessionInput {
  @Field(() => ID)
  @IsUUID('4')
  id!: string;
}

@ArgsType()
@RepeatedArgs()
export class LoginSessionsArgs {
  @Field(() => Int, { defaultValue: 20, description: '1 to 100' })
  @Min(1)
  @Max(100)
  first = 20;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  after?: string;

  @Field(() => String, {
    nullable: true,
    description: "Whose sessions: the caller's when absent; anyone's for operators",
  })
  @IsOptional()
  @IsString()
  @Matches(directoryNamePattern, { message: 'user must be a directory uid' })
  user?: string;
}
