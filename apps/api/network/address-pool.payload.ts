import { createUnionType, Field, ID, ObjectType } from '@nestjs/graphql';
import { UserError } from '../graphql/user-error';
import { AddressPoolModel } from './address-pool.model';

@ObjectType('AddressPoolPayload')
export class AddressPoolPayload {
  @Field(() => AddressPoolModel)
  pool!: AddressPoolModel;
}

@ObjectType('DeleteAddressPoolPayload')
export class DeleteAddressPoolPayload {
  @Field(() => ID)
  id!: string;
}

@ObjectType('PoolNotFoundError', { implements: () => [UserError] })
export class PoolNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'POOL_NOT_FOUND', message, field: 'id' });
  }
}

@ObjectType('PoolNameTakenError', { implements: () => [UserError] })
export class PoolNameTakenError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'POOL_NAME_TAKEN', message, field: 'name' });
  }
}

@ObjectType('PoolOverlapError', {
  implements: () => [UserError],
  description: "The network overlaps another pool's",
})
export class PoolOverlapError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'POOL_OVERLAP', message, field: 'cidr' });
  }
}

@ObjectType('AddressInUseError', {
  implements: () => [UserError],
  description: 'A server holds (or holds back, in its hold period) an address the change keeps',
})
export class AddressInUseError extends UserError {
  constructor(message: string, field: string) {
    super();
    Object.assign(this, { code: 'ADDRESS_IN_USE', message, field });
  }
}

@ObjectType('PoolInUseError', {
  implements: () => [UserError],
  description: 'Servers hold addresses from the pool; disable it instead, or wait',
})
export class PoolInUseError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'POOL_IN_USE', message, field: 'id' });
  }
}

export const AddressPoolResult = createUnionType({
  name: 'AddressPoolResult',
  types: () =>
    [
      AddressPoolPayload,
      PoolNotFoundError,
      PoolNameTakenError,
      PoolOverlapError,
      AddressInUseError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type AddressPoolResult =
  | AddressPoolPayload
  | PoolNotFoundError
  | PoolNameTakenError
  | PoolOverlapError
  | AddressInUseError;

export const DeleteAddressPoolResult = createUnionType({
  name: 'DeleteAddressPoolResult',
  types: () => [DeleteAddressPoolPayload, PoolNotFoundError, PoolInUseError] as const,
  resolveType: (value: object) => value.constructor,
});
export type DeleteAddressPoolResult = DeleteAddressPoolPayload | PoolNotFoundError | PoolInUseError;
