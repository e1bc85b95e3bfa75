import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MailError, type MailErrorKind } from '../../../activities/notify/errors';
import { type OutgoingMail } from '../../../activities/notify/port';
import { SmtpMailer } from '../../../activities/notify/smtp/smtp-mailer';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp-server';

/**
 * The smtp Mailer against a real SMTP server (smtp-server on a loopback port): what arrives, how
 * it logs in, over TLS, and how each way a server can refuse becomes a MailError that says
 * whether trying again can help. The password in the URL never appears in an error.
 */

const password = 'correct horse battery staple';

function aMail(fields: Partial<OutgoingMail> = {}): OutgoingMail {
  return {
    from: 'Berth <berth@berth.test>',
    to: ['alice@example.org'],
    subject: 'Your site Example is ready',
    text: 'The server of Example has been installed and configured.\n',
    messageId: `<${randomUUID()}@berth.test>`,
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Berth-Notification': 'site-ready' },
    ...fields,
  };
}

async function refusal(call: Promise<unknown>, kind: MailErrorKind): Promise<MailError> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MailError);
  expect((error as MailError).kind, (error as Error).message).toBe(kind);
  return error as MailError;
}

describe(SmtpMailer.name, () => {
  describe('on a server without login', () => {
    let server: TestSmtpServer;
    let mailer: SmtpMailer;
    beforeAll(async () => {
      server = await startSmtpServer();
      mailer = new SmtpMailer({ url: server.url, timeoutMs: 5000 });
    });
    afterEach(() => {
      server.rules = {};
    });
    afterAll(async () => {
      await mailer?.close();
      await server?.stop();
    });

    it('delivers the message with its sender, recipients, subject, id and headers', async () => {
      const mail = aMail({ to: ['alice@example.org', 'bob@example.org'] });
      const receipt = await mailer.send(mail);

      expect(receipt).toEqual({ accepted: ['alice@example.org', 'bob@example.org'], rejected: [] });
      const arrived = server.messages.find((m) => m.headers['message-id'] === mail.messageId);
      expect(arrived).toMatchObject({
        from: 'berth@berth.test',
        to: ['alice@example.org', 'bob@example.org'],
        user: null,
        secure: false,
      });
      expect(arrived!.headers).toMatchObject({
        from: 'Berth <berth@berth.test>',
        subject: 'Your site Example is ready',
        'auto-submitted': 'auto-generated',
        'x-berth-notification': 'site-ready',
      });
      expect(arrived!.headers['content-type']).toMatch(/^text\/plain/);
      expect(arrived!.text.replace(/\r\n/g, '\n')).toBe(mail.text);
    });

    it('reports the recipients a server refuses while it takes the message for the others', async () => {
      server.rules = {
        recipient: (address) =>
          address.startsWith('gone@')
            ? { code: 550, message: '5.1.1 no such user' }
            : address.startsWith('full@')
              ? { code: 452, message: '4.2.2 mailbox full' }
              : undefined,
      };
      const mail = aMail({ to: ['gone@example.org', 'alice@example.org', 'full@example.org'] });
      const receipt = await mailer.send(mail);

      expect(receipt.accepted).toEqual(['alice@example.org']);
      expect(receipt.rejected).toEqual([
        {
          address: 'gone@example.org',
          reason: expect.stringContaining('550') as string,
          temporary: false,
        },
        {
          address: 'full@example.org',
          reason: expect.stringContaining('452') as string,
          temporary: true,
        },
      ]);
      const arrived = server.messages.find((m) => m.headers['message-id'] === mail.messageId);
      expect(arrived?.to).toEqual(['alice@example.org']);
    });

    it('fails for good when every recipient is refused permanently', async () => {
      server.rules = { recipient: () => ({ code: 550, message: '5.1.1 no such user' }) };
      const error = await refusal(mailer.send(aMail()), 'MailRejected');
      expect(error).toMatchObject({ retryable: false, blamesMessage: true });
      expect(error.message).toContain('550 5.1.1 no such user');
    });

    it('fails for now when a recipient is only deferred', async () => {
      server.rules = { recipient: () => ({ code: 451, message: '4.3.0 try again later' }) };
      const error = await refusal(mailer.send(aMail()), 'MailUnavailable');
      expect(error).toMatchObject({ retryable: true, blamesMessage: false });
    });

    it('tells a message refused for its content from one the server cannot take now', async () => {
      server.rules = { message: () => ({ code: 554, message: '5.7.1 rejected as spam' }) };
      await refusal(mailer.send(aMail()), 'MailRejected');
      server.rules = { message: () => ({ code: 452, message: '4.3.1 insufficient storage' }) };
      await refusal(mailer.send(aMail()), 'MailUnavailable');
      expect(server.refused).toHaveLength(2);
    });

    it('blames its own settings, not the message, when the server refuses the sender', async () => {
      server.rules = { sender: () => ({ code: 553, message: '5.7.1 sender not allowed' }) };
      const error = await refusal(mailer.send(aMail()), 'MailDenied');
      expect(error).toMatchObject({ retryable: false, blamesMessage: false });
    });

    it('refuses a message with no recipient before it talks to the server', async () => {
      await refusal(mailer.send(aMail({ to: [] })), 'MailRejected');
    });
  });

  describe('on a server that wants a login', () => {
    let server: TestSmtpServer;
    beforeAll(async () => {
      server = await startSmtpServer({ login: { user: 'berth', pass: password } });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('logs in with the credentials of the URL', async () => {
      const mailer = new SmtpMailer({ url: server.url, timeoutMs: 5000 });
      try {
        const mail = aMail();
        await mailer.send(mail);
        const arrived = server.messages.find((m) => m.headers['message-id'] === mail.messageId);
        expect(arrived?.user).toBe('berth');
      } finally {
        await mailer.close();
      }
    });

    it('is denied with a wrong password, and never repeats the password it tried', async () => {
      const url = server.url.replace(encodeURIComponent(password), 'hunter2%20wrong');
      const mailer = new SmtpMailer({ url, timeoutMs: 5000 });
      try {
        const error = await refusal(mailer.send(aMail()), 'MailDenied');
        expect(error).toMatchObject({ retryable: false, blamesMessage: false });
        expect(error.message).toContain('535');
        expect(`${error.message} ${String(error.stack)}`).not.toMatch(/hunter2/);
      } finally {
        await mailer.close();
      }
    });

    it('is denied without credentials', async () => {
      const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${server.port}`, timeoutMs: 5000 });
      try {
        await refusal(mailer.send(aMail()), 'MailDenied');
      } finally {
        await mailer.close();
      }
    });
  });

  describe('over TLS (smtps)', () => {
    let server: TestSmtpServer;
    beforeAll(async () => {
      server = await startSmtpServer({ tls: true, login: { user: 'berth', pass: password } });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('delivers over a connection to a server whose CA it was given', async () => {
      const mailer = new SmtpMailer({ url: server.url, timeoutMs: 5000, caPem: server.caPem });
      try {
        const mail = aMail();
        await mailer.send(mail);
        const arrived = server.messages.find((m) => m.headers['message-id'] === mail.messageId);
        expect(arrived).toMatchObject({ secure: true, user: 'berth' });
      } finally {
        await mailer.close();
      }
    });

    it('refuses a server whose certificate it cannot trust, as a matter of settings', async () => {
      const mailer = new SmtpMailer({ url: server.url, timeoutMs: 5000 });
      try {
        const error = await refusal(mailer.send(aMail()), 'MailDenied');
        expect(error.message).not.toContain(password);
      } finally {
        await mailer.close();
      }
      expect(server.messages.every((m) => m.secure)).toBe(true);
    });
  });

  it('fails for now when no server listens', async () => {
    const gone = await startSmtpServer();
    await gone.stop();
    const mailer = new SmtpMailer({ url: gone.url, timeoutMs: 2000 });
    try {
      const error = await refusal(mailer.send(aMail()), 'MailUnavailable');
      expect(error.retryable).toBe(true);
    } finally {
      await mailer.close();
    }
  });

  it('fails for now when the server does not answer in time', async () => {
    // A server that accepts the connection and never greets: a bare TCP listener.
    const sockets = new Set<Socket>();
    const mute = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const address = mute.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${port}`, timeoutMs: 300 });
    try {
      await refusal(mailer.send(aMail()), 'MailUnavailable');
    } finally {
      await mailer.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => mute.close(() => resolve()));
    }
  });
});
