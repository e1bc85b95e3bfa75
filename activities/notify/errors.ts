/**
 * Failures of the Mailer port. `retryable` tells delivery whether sending the same message later
 * can help (the server was unreachable, busy or answered 4xx); `blamesMessage` whether the refusal
 * is about this message (its recipients or content) rather than about Berth's mail settings,
 * which no retry of the message fixes but which must not fail every message queued behind it.
 */
export const mailErrorKinds = {
  /** The server could not be reached, timed out, closed the connection or answered 4xx. */
  MailUnavailable: { retryable: true, blamesMessage: false },
  /** The server refused this message for good (5xx to its recipients or its content). */
  MailRejected: { retryable: false, blamesMessage: true },
  /**
   * The server refused Berth itself: its credentials, its sender address, or a TLS connection
   * (an untrusted certificate). Operators must change a setting.
   */
  MailDenied: { retryable: false, blamesMessage: false },
} as const;
export type MailErrorKind = keyof typeof mailErrorKinds;

export class MailError extends Error {
  override readonly name = 'MailError';
  readonly retryable: boolean;
  readonly blamesMessage: boolean;

  constructor(
    readonly kind: MailErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = mailErrorKinds[kind].retryable;
    this.blamesMessage = mailErrorKinds[kind].blamesMessage;
  }
}
