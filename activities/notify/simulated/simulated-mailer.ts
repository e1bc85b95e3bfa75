import { type Logger } from '../../../libs/logger';
import { MailError } from '../errors';
import { type MailReceipt, type Mailer, type OutgoingMail } from '../port';

/**
 * The embedded profile's Mailer: sends nothing, and writes each message it would have sent to the
 * log (`simulated mail`), where a developer reads it. Like a mail server, it refuses addresses
 * that cannot exist, those in the reserved `.invalid` domain (RFC 2606), so refusals can be tried
 * without one. Never chosen by the production profile.
 */
export class SimulatedMailer implements Mailer {
  readonly name = 'simulated';

  constructor(private readonly log: Logger) {}

  send(mail: OutgoingMail): Promise<MailReceipt> {
    const refused = mail.to.filter((address) => /\.invalid>?$/i.test(address.trim()));
    const accepted = mail.to.filter((address) => !refused.includes(address));
    if (accepted.length === 0) {
      return Promise.reject(
        new MailError('MailRejected', `550 no such domain: ${refused.join(', ')}`),
      );
    }
    this.log.info(
      {
        adapter: this.name,
        messageId: mail.messageId,
        from: mail.from,
        to: accepted,
        subject: mail.subject,
        text: mail.text,
      },
      'simulated mail',
    );
    return Promise.resolve({
      accepted,
      rejected: refused.map((address) => ({
        address,
        reason: '550 no such domain',
        temporary: false,
      })),
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
