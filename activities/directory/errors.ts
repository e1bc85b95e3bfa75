/**
 * Failures of the Directory port. `retryable` tells the activity layer whether trying again can
 * help (the server was unreachable or busy) or not (the request or the configuration is wrong).
 */
export const directoryErrorKinds = {
  /** The server could not be reached, timed out, closed the connection or said it is busy. */
  DirectoryUnavailable: { retryable: true },
  /** The bind was refused (wrong DN or password) or the bound identity may not read the entries. */
  DirectoryDenied: { retryable: false },
  /** The caller asked for something no directory can answer, such as a search limit out of range. */
  DirectoryInvalidRequest: { retryable: false },
  /**
   * What the adapter was given cannot be used as it stands: a malformed directory file, a filter
   * setting that does not parse, a base DN the server does not hold, two entries with one uid.
   */
  DirectoryMisconfigured: { retryable: false },
} as const;
export type DirectoryErrorKind = keyof typeof directoryErrorKinds;

export class DirectoryError extends Error {
  override readonly name = 'DirectoryError';
  readonly retryable: boolean;

  constructor(
    readonly kind: DirectoryErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = directoryErrorKinds[kind].retryable;
  }
}
