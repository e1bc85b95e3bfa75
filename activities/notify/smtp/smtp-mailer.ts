import { isIP } from 'node:net';
import {
  createTransport,
  type NodemailerError,
  type SMTPSentMessageInfo,
  type Transporter,
} from 'nodemailer';
import { MailError } from '../errors';
import { type MailReceipt, type Mailer, type OutgoingMail, type RejectedRecipient } from '../port';

export interface SmtpMailerOptions {
  /** `smtp://[user:password@]host[:port]` or `smtps://...`, as SMTP_URL validated it. */
  url: string;
  /** Connecting, the greeting, and each command's answer. */
  timeoutMs: number;
  /** PEM of the CA that signed the server's certificate; default the system's. */
  caPem?: string;
}

/** Replies to these commands refuse the message itself; to any other, Berth's own settings. */
const messageCommands = new Set(['RCPT TO', 'DATA']);

/**
 * The Mailer over SMTP (nodemailer): one connection per message, STARTTLS whenever the server
 * offers it, and required when credentials would otherwise cross a network in clear text. Replies
 * and socket errors become MailErrors here; the URL's credentials never appear in one.
 */
export class SmtpMailer implements Mailer {
  readonly name = 'smtp';
  private readonly transport: Transporter<SMTPSentMessageInfo>;
  /** Texts no error message may repeat. */
  private readonly secrets: string[];

  constructor(options: SmtpMailerOptions) {
    const url = new URL(options.url);
    const secure = url.protocol === 'smtps:';
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.secrets = [pass, url.password].filter((text) => text.length >= 1);
    this.transport = createTransport({
      host,
      port: url.port ? Number(url.port) : secure ? 465 : 587,
      secure,
      auth: user ? { user, pass } : undefined,
      // Credentials never cross a network unencrypted: on loopback there is no network to cross.
      requireTLS: !secure && user !== '' && !isLoopback(host),
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      dnsTimeout: options.timeoutMs,
      tls: options.caPem ? { ca: options.caPem } : undefined,
      logger: false,
      debug: false,
    });
  }

  async send(mail: OutgoingMail): Promise<MailReceipt> {
    let info: SMTPSentMessageInfo;
    try {
      info = await this.transport.sendMail({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: mail.messageId,
        headers: mail.headers,
        // Text only: nothing in a message is read from a file or fetched from a URL.
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    } catch (error) {
      throw this.mailError(error);
    }
    const rejected: RejectedRecipient[] = (info.rejectedErrors ?? []).map((error) => ({
      address: error.recipient ?? '',
      reason: this.redact(error.response ?? error.message),
      temporary: error.permanent !== true,
    }));
    return { accepted: info.accepted.map(String), rejected };
  }

  close(): Promise<void> {
    this.transport.close();
    return Promise.resolve();
  }

  /** The MailError a nodemailer error stands for, in words the server used, without secrets. */
  private mailError(error: unknown): MailError {
    if (!(error instanceof Error)) return new MailError('MailUnavailable', String(error));
    const failure = error as NodemailerError;
    const said = failure.response
      ? `${failure.command ? `${failure.command}: ` : ''}${failure.response}`
      : failure.message;
    // The nodemailer error is not kept as the cause: the message says what the server said.
    const message = this.redact(said).slice(0, 400);
    if (failure.code === 'EAUTH' || failure.code === 'ENOAUTH') {
      return new MailError('MailDenied', `the mail server refused Berth's login: ${message}`);
    }
    if (failure.code === 'ETLS' || isCertificateError(failure)) {
      return new MailError('MailDenied', `no trusted TLS connection: ${message}`);
    }
    if (typeof failure.responseCode === 'number') {
      if (!failure.permanent) return new MailError('MailUnavailable', message);
      return messageCommands.has(failure.command ?? '')
        ? new MailError('MailRejected', message)
        : new MailError('MailDenied', message);
    }
    // Refused before any command went out: no recipient, or one nodemailer cannot parse.
    if (failure.code === 'EENVELOPE' && failure.command === 'API') {
      return new MailError('MailRejected', message);
    }
    return new MailError('MailUnavailable', message);
  }

  private redact(text: string): string {
    return this.secrets.reduce((result, secret) => result.split(secret).join('***'), text);
  }
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** A TLS connection refused for its certificate (untrusted, expired, for another name). */
function isCertificateError(error: NodemailerError): boolean {
  const code = error.originalCode ?? error.code ?? '';
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code);
}
