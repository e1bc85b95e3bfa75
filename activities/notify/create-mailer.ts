import { readFile } from 'node:fs/promises';
import { type BerthConfig } from '../../libs/config';
import { type Logger } from '../../libs/logger';
import { type Mailer } from './port';
import { SimulatedMailer } from './simulated/simulated-mailer';
import { SmtpMailer } from './smtp/smtp-mailer';

/** The one place that knows which mail adapter runs. */
export async function createMailer(deps: { config: BerthConfig; log: Logger }): Promise<Mailer> {
  switch (deps.config.adapters.mail) {
    case 'simulated':
      deps.log.info({ adapter: 'simulated' }, 'using simulated mail: notifications are logged');
      return new SimulatedMailer(deps.log.child({ component: 'simulated-mail' }));
    case 'smtp': {
      const smtp = deps.config.mail.smtp;
      if (!smtp) throw new Error('MAIL=smtp needs SMTP_URL');
      // The host only: the URL may carry credentials.
      const url = new URL(smtp.url);
      deps.log.info(
        { adapter: 'smtp', host: url.hostname, port: url.port || null, tls: url.protocol },
        'using an SMTP server',
      );
      return new SmtpMailer({
        url: smtp.url,
        timeoutMs: smtp.timeoutMs,
        caPem: smtp.caFile ? await readFile(smtp.caFile, 'utf8') : undefined,
      });
    }
  }
}
