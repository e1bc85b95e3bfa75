/**
 * Why an uploaded certificate was refused: each code is also the GraphQL error code the api
 * answers with. Messages name certificates by subject, names and dates, never by content, and
 * never quote the upload (a pasted private key must not come back in an error).
 */
export const certificateErrorCodes = [
  /** Not PEM certificates, too large, or not X.509 at all. */
  'CERTIFICATE_MALFORMED',
  /** The certificate's public key is not the one of the site's key (its request). */
  'CERTIFICATE_KEY_MISMATCH',
  /** The certificate does not cover every name it was requested for. */
  'CERTIFICATE_NAMES_MISMATCH',
  /** Its validity ended. */
  'CERTIFICATE_EXPIRED',
  /** Its validity has not begun. */
  'CERTIFICATE_NOT_YET_VALID',
  /** The chain does not link the certificate to its issuers with valid signatures. */
  'CERTIFICATE_CHAIN_INVALID',
] as const;
export type CertificateErrorCode = (typeof certificateErrorCodes)[number];

export class CertificateError extends Error {
  override readonly name = 'CertificateError';

  constructor(
    readonly code: CertificateErrorCode,
    message: string,
  ) {
    super(message);
  }
}
