import { createUnionType, Field, ObjectType } from '@nestjs/graphql';
import {
  HostnameTakenError,
  IdempotencyKeyReusedError,
  SiteNameTakenError,
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

export const RequestSiteResult = createUnionType({
  name: 'RequestSiteResult',
  types: () =>
    [
      RequestSitePayload,
      SiteNameTakenError,
      HostnameTakenError,
      IdempotencyKeyReusedError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type RequestSiteResult =
  RequestSitePayload | SiteNameTakenError | HostnameTakenError | IdempotencyKeyReusedError;
