import { createUnionType, Field, ObjectType } from '@nestjs/graphql';
import { UserError } from '../graphql/user-error';
import { OperationModel } from '../operations/operation.model';
import { SshKeyModel } from './ssh-key.model';

/** A key change, and the configuration runs it started to carry it to the servers. */
@ObjectType('SshKeyPayload')
export class SshKeyPayload {
  @Field(() => SshKeyModel, { description: 'The key added, or the key removed' })
  sshKey!: SshKeyModel;

  @Field(() => [OperationModel], {
    description:
      "One configuration run per site the user has a role on (sites whose status allows one); each site's servers have the change once it succeeds",
  })
  operations!: OperationModel[];
}

@ObjectType('SshKeyInvalidError', {
  implements: () => [UserError],
  description: 'The key is malformed or of a type or size not accepted; the message says which',
})
export class SshKeyInvalidError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'SSH_KEY_INVALID', message, field: 'publicKey' });
  }
}

@ObjectType('SshKeyExistsError', { implements: () => [UserError] })
export class SshKeyExistsError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'SSH_KEY_EXISTS', message, field: 'publicKey' });
  }
}

@ObjectType('SshKeyNotFoundError', { implements: () => [UserError] })
export class SshKeyNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'SSH_KEY_NOT_FOUND', message, field: 'id' });
  }
}

export const AddSshKeyResult = createUnionType({
  name: 'AddSshKeyResult',
  types: () => [SshKeyPayload, SshKeyInvalidError, SshKeyExistsError] as const,
  resolveType: (value: object) => value.constructor,
});
export type AddSshKeyResult = SshKeyPayload | SshKeyInvalidError | SshKeyExistsError;

export const RemoveSshKeyResult = createUnionType({
  name: 'RemoveSshKeyResult',
  types: () => [SshKeyPayload, SshKeyNotFoundError] as const,
  resolveType: (value: object) => value.constructor,
});
export type RemoveSshKeyResult = SshKeyPayload | SshKeyNotFoundError;
