/**
 * The Mailer port: hands one e-mail to the mail system. A send that resolves was accepted for
 * every address in `accepted` (and refused for those in `rejected`); one that throws a MailError
 * (./errors) was accepted for nobody, and the error says whether trying again later can help.
 * Sending is not idempotent: the caller (activities/notify/activities.ts) claims a notification
 * before sending it, and gives every message the notification's own Message-ID.
 */
export interface Mailer {
  /** Adapter name as configured (`smtp`, `simulated`), shown in logs. */
  readonly name: string;
  send(mail: OutgoingMail): Promise<MailReceipt>;
  /** Releases connections; safe to call twice. */
  close(): Promise<void>;
}

export interface OutgoingMail {
  /** `address` or `Name <address>`. */
  from: string;
  to: string[];
  /** One line. */
  subject: string;
  /** Plain text. */
  text: string;
  /** `<unique@domain>`: the same for every attempt at one notification. */
  messageId: string;
  headers?: Record<string, string>;
}

export interface MailReceipt {
  accepted: string[];
  /** Addresses the mail system refused while it took the message for the others. */
  rejected: RejectedRecipient[];
}

export interface RejectedRecipient {
  address: string;
  /** The server's answer, such as `550 5.1.1 no such user`. */
  reason: string;
  /** A 4xx answer: the address might take it later. */
  temporary: boolean;
}
