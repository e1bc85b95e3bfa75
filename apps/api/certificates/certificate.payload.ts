import { createUnionType, Field, ID, ObjectType } from '@nestjs/graphql';
import { type CertificateErrorCode } from '../../../libs/tls';
import { IdempotencyKeyReusedError, UserError } from '../graphql/user-error';
import { OperationModel } from '../operations/operation.model';
import { IllegalTransitionError, SiteNotFoundError } from '../sites/change-site.payload';
import { VhostNotFoundError } from '../sites/site-config.payload';
import { SiteCertificateModel } from './certificate.model';

@ObjectType('RequestCertificatePayload')
export class RequestCertificatePayload {
  @Field(() => SiteCertificateModel, { description: 'The request: give its `csr` to your CA' })
  certificate!: SiteCertificateModel;
}

@ObjectType('UploadCertificatePayload')
export class UploadCertificatePayload {
  @Field(() => SiteCertificateModel)
  certificate!: SiteCertificateModel;

  @Field(() => OperationModel, {
    description: 'The configuration run that installs it, to follow until it finishes',
  })
  operation!: OperationModel;
}

@ObjectType('RemoveCertificatePayload')
export class RemoveCertificatePayload {
  @Field(() => ID)
  certificateId!: string;

  @Field(() => OperationModel, {
    nullable: true,
    description: 'The configuration run that takes it off the server; null when it was not on it',
  })
  operation!: OperationModel | null;
}

@ObjectType('CertificateNotFoundError', { implements: () => [UserError] })
export class CertificateNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'CERTIFICATE_NOT_FOUND', message, field: 'certificateId' });
  }
}

@ObjectType('CertificateNameNotServedError', {
  implements: () => [UserError],
  description:
    'A name is not one the virtual host answers as (its server name or aliases), or it was rejected',
})
export class CertificateNameNotServedError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'CERTIFICATE_NAME_NOT_SERVED', message, field: 'names' });
  }
}

@ObjectType('CertificateRequestPendingError', {
  implements: () => [UserError],
  description:
    'The virtual host has a request waiting for its certificate: upload that, or remove it first',
})
export class CertificateRequestPendingError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'CERTIFICATE_REQUEST_PENDING', message, field: 'vhost' });
  }
}

@ObjectType('CertificateMalformedError', {
  implements: () => [UserError],
  description: 'Not PEM certificates, too large, or not X.509 (a private key is refused too)',
})
export class CertificateMalformedError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'CERTIFICATE_MALFORMED', message, field: 'certificate' });
  }
}

@ObjectType('CertificateKeyMismatchError', {
  implements: () => [UserError],
  description: 'The certificate is for another key than the one Berth made for the request',
})
export class CertificateKeyMismatchError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'CERTIFICATE_KEY_MISMATCH', message, field: 'certificate' });
  }
}

@ObjectType('CertificateNamesMismatchError', {
  implements: () => [UserError],
  description: 'The certificate does not cover every name it was requested for',
})
export class CertificateNamesMismatchError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'CERTIFICATE_NAMES_MISMATCH', message, field: 'certificate' });
  }
}

@ObjectType('CertificateExpiredError', { implements: () => [UserError] })
export class CertificateExpiredError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'CERTIFICATE_EXPIRED', message, field: 'certificate' });
  }
}

@ObjectType('CertificateNotYetValidError', { implements: () => [UserError] })
export class CertificateNotYetValidError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'CERTIFICATE_NOT_YET_VALID', message, field: 'certificate' });
  }
}

@ObjectType('CertificateChainInvalidError', {
  implements: () => [UserError],
  description:
    'The chain does not link the certificate to its issuers with valid signatures, or holds a certificate that is not on that path',
})
export class CertificateChainInvalidError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'CERTIFICATE_CHAIN_INVALID', message, field: 'chain' });
  }
}

/** The GraphQL error of each way libs/tls refuses an upload. */
export const certificateRejections = {
  CERTIFICATE_MALFORMED: CertificateMalformedError,
  CERTIFICATE_KEY_MISMATCH: CertificateKeyMismatchError,
  CERTIFICATE_NAMES_MISMATCH: CertificateNamesMismatchError,
  CERTIFICATE_EXPIRED: CertificateExpiredError,
  CERTIFICATE_NOT_YET_VALID: CertificateNotYetValidError,
  CERTIFICATE_CHAIN_INVALID: CertificateChainInvalidError,
} as const satisfies Record<CertificateErrorCode, new (message: string) => UserError>;
export type CertificateRejection = InstanceType<
  (typeof certificateRejections)[CertificateErrorCode]
>;

export const RequestCertificateResult = createUnionType({
  name: 'RequestCertificateResult',
  types: () =>
    [
      RequestCertificatePayload,
      SiteNotFoundError,
      IllegalTransitionError,
      IdempotencyKeyReusedError,
      VhostNotFoundError,
      CertificateNameNotServedError,
      CertificateRequestPendingError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type RequestCertificateResult =
  | RequestCertificatePayload
  | SiteNotFoundError
  | IllegalTransitionError
  | IdempotencyKeyReusedError
  | VhostNotFoundError
  | CertificateNameNotServedError
  | CertificateRequestPendingError;

export const UploadCertificateResult = createUnionType({
  name: 'UploadCertificateResult',
  types: () =>
    [
      UploadCertificatePayload,
      SiteNotFoundError,
      IllegalTransitionError,
      IdempotencyKeyReusedError,
      VhostNotFoundError,
      CertificateNotFoundError,
      CertificateMalformedError,
      CertificateKeyMismatchError,
      CertificateNamesMismatchError,
      CertificateExpiredError,
      CertificateNotYetValidError,
      CertificateChainInvalidError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type UploadCertificateResult =
  | UploadCertificatePayload
  | SiteNotFoundError
  | IllegalTransitionError
  | IdempotencyKeyReusedError
  | VhostNotFoundError
  | CertificateNotFoundError
  | CertificateRejection;

export const RemoveCertificateResult = createUnionType({
  name: 'RemoveCertificateResult',
  types: () =>
    [
      RemoveCertificatePayload,
      SiteNotFoundError,
      IllegalTransitionError,
      IdempotencyKeyReusedError,
      CertificateNotFoundError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type RemoveCertificateResult =
  | RemoveCertificatePayload
  | SiteNotFoundError
  | IllegalTransitionError
  | IdempotencyKeyReusedError
  | CertificateNotFoundError;
