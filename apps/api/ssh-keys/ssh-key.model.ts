import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { type SshKeyType } from '../../../libs/domain';

export enum SshKeyTypeEnum {
  ED25519 = 'ed25519',
  ECDSA = 'ecdsa',
  RSA = 'rsa',
  ED25519_SK = 'ed25519-sk',
  ECDSA_SK = 'ecdsa-sk',
}
registerEnumType(SshKeyTypeEnum, {
  name: 'SshKeyType',
  description: 'The key types ssh-keygen -l names; _SK ones live on a FIDO security key',
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const sshKeyTypeMatchesDomain: Same<`${SshKeyTypeEnum}`, SshKeyType> = true;

@ObjectType('SshKey', {
  description: "A public key its user logs in with on every server of the sites they've a role on",
})
export class SshKeyModel {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The owner (directory uid)' })
  user!: string;

  @Field(() => SshKeyTypeEnum)
  type!: SshKeyTypeEnum;

  @Field(() => Int, { description: 'Size as ssh-keygen -l prints it' })
  bits!: number;

  @Field(() => String, { description: '`SHA256:<base64>`, as ssh-keygen -l -E sha256 prints it' })
  fingerprint!: string;

  @Field(() => String, { description: 'The OpenSSH line `<algorithm> <base64>`, no comment' })
  publicKey!: string;

  @Field(() => String, { nullable: true })
  comment!: string | null;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;
}
