import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateBy } from 'class-validator';
import { commentProblem, maxUserKeyBytes } from '../../../activities/keys/user-keys';
import { directoryNamePattern } from '../../../libs/auth/principal';
import { RepeatedArgs } from '../graphql/validation.pipe';

const userMessage = 'user must be a directory uid: lower-case letters, digits, ., _ or -';

/** One line of printable text, 1 to 100 characters: what authorized_keys can hold inertly. */
function IsSshKeyComment() {
  return ValidateBy({
    name: 'isSshKeyComment',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && value !== '' && commentProblem(value) === undefined,
      defaultMessage: (args) =>
        typeof args?.value === 'string' && args.value !== ''
          ? (commentProblem(args.value) ?? 'comment is not valid')
          : 'comment must be a non-empty string',
    },
  });
}

@InputType('AddSshKeyInput')
export class AddSshKeyInput {
  @Field(() => String, {
    description:
      'One OpenSSH public key line, `<algorithm> <base64> [comment]`, as in a .pub file; ' +
      'ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa of at least 3072 bits, or their ' +
      'security key (sk-) forms',
  })
  @IsString()
  @MaxLength(maxUserKeyBytes)
  publicKey!: string;

  @Field(() => String, {
    nullable: true,
    description: "Replaces the line's comment: printable ASCII, 1 to 100 characters",
  })
  @IsOptional()
  @IsSshKeyComment()
  comment?: string;

  @Field(() => String, {
    nullable: true,
    description: 'Whose key it is (operators); the caller when absent',
  })
  @IsOptional()
  @IsString()
  @Matches(directoryNamePattern, { message: userMessage })
  user?: string;
}

@InputType('RemoveSshKeyInput')
export class RemoveSshKeyInput {
  @Field(() => ID)
  @IsUUID('4')
  id!: string;
}

@ArgsType()
@RepeatedArgs()
export class SshKeysArgs {
  @Field(() => String, {
    nullable: true,
    description: "Whose keys (operators may name anyone); the caller's when absent",
  })
  @IsOptional()
  @IsString()
  @Matches(directoryNamePattern, { message: userMessage })
  user?: string;
}
