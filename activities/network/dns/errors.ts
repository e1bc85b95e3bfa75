/**
 * Failures of the Dns port. `retryable` tells the activity layer whether trying again can help (the
 * server was unreachable or busy) or not (the server refused the request as it stands).
 */
export const dnsErrorKinds = {
  /** The server could not be reached, timed out, or answered 5xx. */
  DnsUnavailable: { retryable: true },
  /** The zone does not exist on the server. */
  DnsZoneMissing: { retryable: false },
  /** The server refused the request (4xx other than a missing zone), for example a bad record. */
  DnsRejected: { retryable: false },
  /** The API key was refused. */
  DnsDenied: { retryable: false },
} as const;
export type DnsErrorKind = keyof typeof dnsErrorKinds;

export class DnsError extends Error {
  override readonly name = 'DnsError';
  readonly retryable: boolean;

  constructor(
    readonly kind: DnsErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = dnsErrorKinds[kind].retryable;
  }
}
