import { ApplicationFailure } from '@temporalio/common';

/**
 * The closed list of failure types that activities raise and workflows branch on. Foreign errors
 * (SQL, HTTP, subprocess) are translated into one of these at the adapter edge.
 */
export const failureTypes = [
  /** No free address or host name is left in the pools. Not retryable. */
  'AddressPoolExhausted',
  /** The requested host name belongs to another server. Not retryable. */
  'HostnameTaken',
  /** A record the activity needs does not exist. Not retryable. */
  'RecordNotFound',
  /** The move the activity was asked to make is not allowed from the current state. */
  'IllegalTransition',
  /** The hypervisor could not be reached or failed on its side; retried. */
  'HypervisorUnavailable',
  /** The hypervisor's object (VM, host, snapshot) does not exist. Not retryable. */
  'HypervisorNotFound',
  /** Another hypervisor task holds the object; retried. */
  'HypervisorBusy',
  /** The object's state forbids the call. Not retryable. */
  'HypervisorInvalidState',
  /** No host can take the VM. Not retryable. */
  'NoCapacity',
  /** The hypervisor refused Berth's credentials or permissions. Not retryable. */
  'HypervisorDenied',
  /** The hypervisor cannot accept the request as sent. Not retryable. */
  'HypervisorInvalidRequest',
  /** Configuration of the server failed. */
  'ConfigurationFailed',
  /** The DNS server could not be reached or failed on its side; retried. */
  'DnsUnavailable',
  /** A zone Berth publishes into does not exist on the DNS server. Not retryable. */
  'DnsZoneMissing',
  /** The DNS server refused a change as sent. Not retryable. */
  'DnsRejected',
  /** The DNS server refused Berth's API key. Not retryable. */
  'DnsDenied',
  /** A site's snapshot cannot be made, found or removed as asked (limit, name). Not retryable. */
  'SnapshotRefused',
] as const;
export type FailureType = (typeof failureTypes)[number];

/** Failure types that retrying cannot fix; workflows list them in their retry policies. */
export const nonRetryableFailureTypes: FailureType[] = [
  'AddressPoolExhausted',
  'HostnameTaken',
  'RecordNotFound',
  'IllegalTransition',
  'HypervisorNotFound',
  'HypervisorInvalidState',
  'NoCapacity',
  'HypervisorDenied',
  'HypervisorInvalidRequest',
  'DnsZoneMissing',
  'DnsRejected',
  'DnsDenied',
  'SnapshotRefused',
];

export function failure(
  type: FailureType,
  message: string,
  options: { details?: unknown[]; cause?: Error } = {},
): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: nonRetryableFailureTypes.includes(type),
    details: options.details,
    cause: options.cause,
  });
}

/** The failure type of an error raised by an activity or child workflow, if it is one of ours. */
export function failureTypeOf(error: unknown): FailureType | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure && current.type) {
      return (failureTypes as readonly string[]).includes(current.type)
        ? (current.type as FailureType)
        : undefined;
    }
    current = current.cause;
  }
  return undefined;
}

/**
 * A short, client-safe description of why an activity or child workflow failed: the failure type
 * and message of the innermost ApplicationFailure, never a stack or a foreign error's text.
 */
export function describeFailure(error: unknown): string {
  let current: unknown = error;
  let found: ApplicationFailure | undefined;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure) found = current;
    current = current.cause;
  }
  if (found?.type && (failureTypes as readonly string[]).includes(found.type)) {
    return `${found.type}: ${found.message}`;
  }
  return 'internal error';
}
