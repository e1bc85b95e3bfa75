import { createUnionType, Field, ObjectType } from '@nestjs/graphql';
import { UserError } from '../graphql/user-error';
import { OperationModel } from '../operations/operation.model';
import { DomainNameModel } from './domain-name.model';

@ObjectType('DomainNameDecisionPayload')
export class DomainNameDecisionPayload {
  @Field(() => DomainNameModel)
  domainName!: DomainNameModel;

  @Field(() => OperationModel, {
    nullable: true,
    description:
      "The configuration run that serves an approved name; null after a rejection, or when the site's status takes no configuration now (its next run serves the name)",
  })
  operation!: OperationModel | null;
}

@ObjectType('DomainNotFoundError', { implements: () => [UserError] })
export class DomainNotFoundError extends UserError {
  constructor(message: string, field = 'id') {
    super();
    Object.assign(this, { code: 'DOMAIN_NOT_FOUND', message, field });
  }
}

@ObjectType('DomainAlreadyDecidedError', {
  implements: () => [UserError],
  description: 'Only a pending name is approved or rejected, once',
})
export class DomainAlreadyDecidedError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'DOMAIN_ALREADY_DECIDED', message, field: 'id' });
  }
}

@ObjectType('DomainTakenError', {
  implements: () => [UserError],
  description:
    'Another virtual host (of this site or another) answers as that name, or it is the server’s own host name',
})
export class DomainTakenError extends UserError {
  constructor(message: string, field: string) {
    super();
    Object.assign(this, { code: 'DOMAIN_TAKEN', message, field });
  }
}

@ObjectType('DomainReservedError', {
  implements: () => [UserError],
  description:
    "Inside the zone of the servers' host names, only names under the site's own server's host name may be used",
})
export class DomainReservedError extends UserError {
  constructor(message: string, field: string) {
    super();
    Object.assign(this, { code: 'DOMAIN_RESERVED', message, field });
  }
}

@ObjectType('DomainNotApprovedError', {
  implements: () => [UserError],
  description:
    'A name waiting for approval, or rejected, cannot be made a virtual host’s server name: the server would stop serving the virtual host',
})
export class DomainNotApprovedError extends UserError {
  constructor(message: string, field = 'name') {
    super();
    Object.assign(this, { code: 'DOMAIN_NOT_APPROVED', message, field });
  }
}

export const DomainNameDecisionResult = createUnionType({
  name: 'DomainNameDecisionResult',
  types: () => [DomainNameDecisionPayload, DomainNotFoundError, DomainAlreadyDecidedError] as const,
  resolveType: (value: object) => value.constructor,
});
export type DomainNameDecisionResult =
  DomainNameDecisionPayload | DomainNotFoundError | DomainAlreadyDecidedError;
