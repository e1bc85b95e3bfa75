import { describe, expect, it } from 'vitest';
import { type NotificationParams, renderNotification } from '../../../activities/notify/templates';
import { type NotificationKind, notificationKinds } from '../../../libs/domain';

/** Parameters of every kind, with values a template must show. */
const examples: { [K in NotificationKind]: NotificationParams[K] } = {
  'site-ready': { siteName: 'Chemistry', hostname: 'web-7.sites.berth.test' },
  'cancellation-warning': { siteName: 'Chemistry', deleteAfter: '2026-12-24T09:30:00.000Z' },
  'upgrade-waiting-for-approval': {
    siteName: 'Chemistry',
    testHostname: 'web-8.sites.berth.test',
    release: 'debian-13',
    approveBy: new Date('2027-01-10T12:00:00Z'),
  },
  'certificate-expiry': {
    siteName: 'Chemistry',
    names: ['chem.example.org', 'www.chem.example.org'],
    expiresAt: '2027-02-01T00:00:00Z',
  },
  'domain-approval-needed': {
    siteName: 'Chemistry',
    domain: 'chemistry.example.com',
    requestedBy: 'alice',
  },
  'domain-approval-given': {
    siteName: 'Chemistry',
    domain: 'chemistry.example.com',
    approvedBy: 'olivia',
  },
  'domain-rejected': {
    siteName: 'Chemistry',
    domain: 'chemistry.example.com',
    rejectedBy: 'olivia',
    reason: 'The name is registered to another organisation',
  },
  'host-failover': { siteName: 'Chemistry', from: 'esx-1', to: 'esx-2' },
};

/** The values each kind's message must show. */
const shown: Record<NotificationKind, string[]> = {
  'site-ready': ['Chemistry', 'web-7.sites.berth.test'],
  'cancellation-warning': ['Chemistry', '2026-12-24 09:30 UTC'],
  'upgrade-waiting-for-approval': [
    'Chemistry',
    'web-8.sites.berth.test',
    'debian-13',
    '2027-01-10 12:00 UTC',
  ],
  'certificate-expiry': ['chem.example.org, www.chem.example.org', '2027-02-01 00:00 UTC'],
  'domain-approval-needed': ['chemistry.example.com', 'alice'],
  'domain-approval-given': ['chemistry.example.com', 'olivia'],
  'domain-rejected': [
    'chemistry.example.com',
    'olivia',
    'The name is registered to another organisation',
  ],
  'host-failover': ['Chemistry', 'esx-2'],
};

describe(renderNotification.name, () => {
  it.each(notificationKinds)('renders %s as one subject line and plain text', (kind) => {
    const { subject, text } = renderNotification(kind, examples[kind]);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.length).toBeGreaterThan(10);
    expect(subject.length).toBeLessThanOrEqual(200);
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(76);
    expect(text).not.toMatch(/undefined|null|\[object|\$\{|<[a-z]/i);
    // Every value is there, even where a line break fell inside it.
    const flowing = `${subject} ${text.replace(/\n/g, ' ')}`;
    for (const value of shown[kind]) expect(flowing).toContain(value);
  });

  it.each(notificationKinds)(
    'shows nothing of %s but the parameters its template names',
    (kind) => {
      const secret = 'hunter2-private-key-material';
      const withExtras = {
        ...examples[kind],
        password: secret,
        mysqlRootPassword: secret,
        privateKey: `-----BEGIN PRIVATE KEY-----${secret}`,
      } as unknown as NotificationParams[typeof kind];
      const { subject, text } = renderNotification(kind, withExtras);
      expect(`${subject}\n${text}`).not.toContain(secret);
      expect(`${subject}\n${text}`).not.toContain('PRIVATE KEY');
    },
  );

  it('keeps a value with line breaks on its line, so it cannot add a header or a paragraph', () => {
    const { subject, text } = renderNotification('site-ready', {
      siteName: 'Evil\r\nBcc: everyone@example.org\n\nClick here\u2028now\u202e',
      hostname: 'web-1.sites.berth.test',
    });
    expect(subject).toBe('Your site Evil Bcc: everyone@example.org Click here now is ready');
    expect(text).not.toMatch(/^Bcc:/m);
    expect(text).not.toMatch(/^Click here/m);
    expect(text).not.toMatch(/[\r\u2028\u202e]/);
  });

  it('shortens values and subjects that would not fit', () => {
    const { subject, text } = renderNotification('site-ready', {
      siteName: 'x'.repeat(500),
      hostname: null,
    });
    expect(subject.length).toBeLessThanOrEqual(200);
    expect(subject.endsWith('…')).toBe(true);
    expect(text).not.toContain('x'.repeat(201));
    expect(text).not.toContain('answers at');
  });

  it("shows a rejection's whole reason, up to the 500 characters an operator may give", () => {
    const rejection = (reason: string) =>
      renderNotification('domain-rejected', {
        siteName: 'Chemistry',
        domain: 'chemistry.example.com',
        rejectedBy: 'olivia',
        reason,
      }).text.replace(/\n/g, ' ');
    const full = 'Not ours. '.repeat(50).trim();
    expect(full.length).toBe(499);
    expect(rejection(full)).toContain(full);
    const tooLong = rejection(`${'Not ours. '.repeat(60)}`);
    expect(tooLong).toContain(`${'Not ours. '.repeat(49)}Not ours.…`);
    // A line break in the reason cannot start a line of its own (a header, a paragraph).
    const text = renderNotification('domain-rejected', {
      siteName: 'Chemistry',
      domain: 'chemistry.example.com',
      rejectedBy: 'olivia',
      reason: 'Not ours.\r\nBcc: x@example.org\n\nClick here',
    }).text;
    expect(text).toContain('Not ours. Bcc: x@example.org Click here');
    expect(text).not.toMatch(/^(Bcc|Click)/m);
  });

  it('prints a date it cannot read as the text it was given, on one line', () => {
    const { subject } = renderNotification('cancellation-warning', {
      siteName: 'Chemistry',
      deleteAfter: 'soon\nBcc: x@example.org',
    });
    expect(subject).toBe('Your site Chemistry will be deleted on soon Bcc: x@example.org');
  });
});
