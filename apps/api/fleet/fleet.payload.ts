import { createUnionType, Field, ObjectType } from '@nestjs/graphql';
import { IdempotencyKeyReusedError, UserError } from '../graphql/user-error';
import { OperationModel } from '../operations/operation.model';

@ObjectType('FleetOperationPayload')
export class FleetOperationPayload {
  @Field(() => OperationModel, { description: 'The fleet operation, to follow until it finishes' })
  operation!: OperationModel;
}

@ObjectType('HostNotFoundError', { implements: () => [UserError] })
export class HostNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'HOST_NOT_FOUND', message, field: 'host' });
  }
}

@ObjectType('HostUnavailableError', {
  implements: () => [UserError],
  description: 'The host is disconnected or in maintenance, so it takes no VMs',
})
export class HostUnavailableError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'HOST_UNAVAILABLE', message, field: 'host' });
  }
}

@ObjectType('NoCapacityError', {
  implements: () => [UserError],
  description: 'The host has not enough free memory for the VM',
})
export class NoCapacityError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'NO_CAPACITY', message, field: 'host' });
  }
}

@ObjectType('VmNotFoundError', { implements: () => [UserError] })
export class VmNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'VM_NOT_FOUND', message, field: 'vmId' });
  }
}

@ObjectType('VmBusyError', {
  implements: () => [UserError],
  description: 'Another fleet operation is moving this VM or evacuating this host',
})
export class VmBusyError extends UserError {
  constructor(message: string, field: string) {
    super();
    Object.assign(this, { code: 'VM_BUSY', message, field });
  }
}

export const FleetOperationResult = createUnionType({
  name: 'FleetOperationResult',
  types: () =>
    [
      FleetOperationPayload,
      HostNotFoundError,
      HostUnavailableError,
      NoCapacityError,
      VmNotFoundError,
      VmBusyError,
      IdempotencyKeyReusedError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type FleetOperationResult =
  | FleetOperationPayload
  | HostNotFoundError
  | HostUnavailableError
  | NoCapacityError
  | VmNotFoundError
  | VmBusyError
  | IdempotencyKeyReusedError;
