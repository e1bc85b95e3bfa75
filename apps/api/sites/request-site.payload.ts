import { createUnionType, Field, ObjectType } from '@nestjs/graphql';
import {
  HostnameTakenError,
  IdempotencyKeyReusedError,
  SiteNameTakenError,
  UserError,
} from '../graphql/user-error';
import { OperationModel } from '../operations/operation.model';
import { SiteModel } from './site.model';

@ObjectType('RequestSitePayload')
export class RequestSitePayload {
  @Field(() => SiteModel)
  site!: SiteModel;

  @Field(() => OperationModel, { description: 'Provisioning of the site, to follow' })
  operation!: OperationModel;
}

@ObjectType('AddressPoolExhaustedError', {
  implements: () => [UserError],
  description: 'No address is free for a new server; operators add or enable address pools',
})
export class AddressPoolExhaustedError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'ADDRESS_POOL_EXHAUSTED', message, field: null });
  }
}

export const RequestSiteResult = createUnionType({
  name: 'RequestSiteResult',
  types: () =>
    [
      RequestSitePayload,
      SiteNameTakenError,
      HostnameTakenError,
      IdempotencyKeyReusedError,
      AddressPoolExhaustedError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type RequestSiteResult =
  | RequestSitePayload
  | SiteNameTakenError
  | HostnameTakenError
  | IdempotencyKeyReusedError
  | AddressPoolExhaustedError;
