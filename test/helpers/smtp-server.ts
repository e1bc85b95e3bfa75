import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerError,
  type SMTPServerSession,
} from 'smtp-server';
import { freePort } from './free-port';

const run = promisify(execFile);

/** A message the server took, as it arrived. */
export interface ReceivedMail {
  /** MAIL FROM. */
  from: string;
  /** RCPT TO addresses the server accepted. */
  to: string[];
  /** The user the client logged in as, if it did. */
  user: string | null;
  /** Whether the session was encrypted (smtps, or after STARTTLS). */
  secure: boolean;
  /** Header names in lower case; folded lines unfolded. */
  headers: Record<string, string>;
  /** The body as sent (Content-Transfer-Encoding undone for quoted-printable). */
  text: string;
  raw: string;
}

/** An SMTP reply the server gives instead of accepting. */
export interface SmtpReply {
  code: number;
  message: string;
}

/**
 * How the server answers; tests change these while it runs. Each returns a reply to refuse with,
 * or undefined to accept.
 */
export interface SmtpRules {
  /** MAIL FROM. */
  sender?: (address: string) => SmtpReply | undefined;
  recipient?: (address: string) => SmtpReply | undefined;
  /** After the message's data arrived (the reply to its final dot). */
  message?: (mail: ReceivedMail) => SmtpReply | undefined;
}

export interface TestSmtpServer {
  host: string;
  port: number;
  /** `smtp://` (or `smtps://` with TLS), with the credentials when the server wants a login. */
  url: string;
  /** PEM of the CA that signed the server's certificate, when it has one. */
  caPem: string | undefined;
  /** A file holding caPem (for SMTP_CA_FILE). */
  caFile: string | undefined;
  /** Messages accepted, in order of arrival. */
  readonly messages: ReceivedMail[];
  /** Messages whose data arrived but that a rule refused. */
  readonly refused: ReceivedMail[];
  /** Connections that ended in an error (a client refusing the certificate, say). */
  readonly errors: Error[];
  rules: SmtpRules;
  stop(): Promise<void>;
}

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 and a free port, that keeps every
 * message it accepts. With `login`, it refuses clients that do not log in with those credentials;
 * with `tls`, it speaks TLS from the start (smtps) with a certificate for 127.0.0.1 signed by a
 * CA made for it (openssl, in a temporary folder). Without TLS it offers no STARTTLS.
 */
export async function startSmtpServer(
  options: { login?: { user: string; pass: string }; tls?: boolean; rules?: SmtpRules } = {},
): Promise<TestSmtpServer> {
  const folder = await mkdtemp(join(tmpdir(), 'berth-smtp-'));
  const tls = options.tls ? await makeCertificates(folder) : undefined;
  const messages: ReceivedMail[] = [];
  const refused: ReceivedMail[] = [];
  const login = options.login;
  const state = { rules: options.rules ?? {} };

  const server = new SMTPServer({
    secure: tls !== undefined,
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    disabledCommands: tls ? [] : ['STARTTLS'],
    authOptional: login === undefined,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (login && auth.username === login.user && auth.password === login.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(reply({ code: 535, message: '5.7.8 Authentication credentials invalid' }));
      }
    },
    onMailFrom(address: SMTPServerAddress, _session, callback) {
      const answer = state.rules.sender?.(address.address);
      callback(answer ? reply(answer) : undefined);
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const answer = state.rules.recipient?.(address.address);
      callback(answer ? reply(answer) : undefined);
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const mail = parseMail(Buffer.concat(chunks).toString('utf8'), session);
        const answer = state.rules.message?.(mail);
        if (answer) {
          refused.push(mail);
          callback(reply(answer));
        } else {
          messages.push(mail);
          callback(null);
        }
      });
    },
  });

  // A client that gives up on a connection (one refusing the certificate) is an error event on
  // the server, not a failure of the test: keep it for the tests that look.
  const errors: Error[] = [];
  server.on('error', (error: Error) => errors.push(error));
  const port = await listen(server);
  const scheme = tls ? 'smtps' : 'smtp';
  const credentials = login
    ? `${encodeURIComponent(login.user)}:${encodeURIComponent(login.pass)}@`
    : '';
  return {
    host: '127.0.0.1',
    port,
    url: `${scheme}://${credentials}127.0.0.1:${port}`,
    caPem: tls?.caPem,
    caFile: tls?.caFile,
    messages,
    refused,
    errors,
    get rules() {
      return state.rules;
    },
    set rules(rules: SmtpRules) {
      state.rules = rules;
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(folder, { recursive: true, force: true });
    },
  };
}

function reply(answer: SmtpReply): SMTPServerError {
  const error: SMTPServerError = new Error(answer.message);
  error.responseCode = answer.code;
  return error;
}

/** Listens on a free loopback port; another process may take it first, so a few ports are tried. */
async function listen(server: SMTPServer): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.server.off('error', reject);
          resolve();
        });
      });
      return port;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

function parseMail(raw: string, session: SMTPServerSession): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const quotedPrintable = /quoted-printable/i.test(headers['content-transfer-encoding'] ?? '');
  return {
    from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    to: session.envelope.rcptTo.map((address) => address.address),
    user: typeof session.user === 'string' ? session.user : null,
    secure: session.secure,
    headers,
    text: quotedPrintable ? decodeQuotedPrintable(body) : body,
    raw,
  };
}

function decodeQuotedPrintable(text: string): string {
  const bytes = Buffer.from(
    text
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
  return bytes.toString('utf8');
}

/** A certificate authority and a certificate for 127.0.0.1 signed by it. */
async function makeCertificates(dir: string) {
  const openssl = (...args: string[]) => run('openssl', args, { timeout: 60_000 });
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Berth test CA for SMTP',
  );
  await openssl(
    'req',
    ...ec,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  );
  await writeFile(
    file('server.ext'),
    'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  await openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
  );
  return {
    key: await readFile(file('server.key')),
    cert: await readFile(file('server.pem')),
    caPem: await readFile(file('ca.pem'), 'utf8'),
    caFile: file('ca.pem'),
  };
}
