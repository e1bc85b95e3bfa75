/**
 * How a hypervisor call failed, in terms the workflows act on. Every adapter raises these (the
 * vsphere adapter maps vim25 faults and transport errors onto them); the activities turn each
 * into the Temporal failure type of the same name, retried or not as `retryable` says.
 */
export const hypervisorErrorKinds = {
  /** The VM, host or snapshot does not exist. */
  HypervisorNotFound: { retryable: false },
  /** Another task holds the object (a VM being cloned, moved or snapshotted); try again. */
  HypervisorBusy: { retryable: true },
  /** The object is in a state that forbids the call (a host in maintenance, say). */
  HypervisorInvalidState: { retryable: false },
  /** No host can take the VM. */
  NoCapacity: { retryable: false },
  /** The credentials or the account's permissions were refused; fix the configuration. */
  HypervisorDenied: { retryable: false },
  /** Berth sent a request the hypervisor cannot accept; a bug or a bad setting. */
  HypervisorInvalidRequest: { retryable: false },
  /** The hypervisor could not be reached or failed on its side; try again. */
  HypervisorUnavailable: { retryable: true },
} as const;

export type HypervisorErrorKind = keyof typeof hypervisorErrorKinds;

export class HypervisorError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly kind: HypervisorErrorKind,
    message: string,
    options: {
      /** The hypervisor's own name for the fault (vim25: `InvalidPowerState`, ...). */
      fault?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'HypervisorError';
    this.retryable = hypervisorErrorKinds[kind].retryable;
    this.fault = options.fault;
  }

  readonly fault: string | undefined;
}
