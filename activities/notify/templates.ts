import { maxRejectionReasonLength, type NotificationKind } from '../../libs/domain';

/** A date as the templates print it, in UTC: `2026-12-05 14:30 UTC`. */
type When = Date | string;

/**
 * What each kind of notification says, and the only values it may say it with. A template reads
 * the fields it names and nothing else, so whatever else a caller's object holds (a password, a
 * key) never reaches a message.
 */
export interface NotificationParams {
  'site-ready': { siteName: string; hostname: string | null };
  'cancellation-warning': { siteName: string; deleteAfter: When };
  'upgrade-waiting-for-approval': {
    siteName: string;
    /** The upgraded test server the admins should try. */
    testHostname: string | null;
    /** The release the server was upgraded to, such as `debian-13`. */
    release: string;
    /** When the upgrade is abandoned without an approval. */
    approveBy: When | null;
  };
  'certificate-expiry': { siteName: string; names: string[]; expiresAt: When };
  'domain-approval-needed': { siteName: string; domain: string; requestedBy: string };
  'domain-approval-given': { siteName: string; domain: string; approvedBy: string };
  'domain-rejected': { siteName: string; domain: string; rejectedBy: string; reason: string };
  'host-failover': { siteName: string; from: string; to: string };
}

export interface RenderedNotification {
  /** One line, at most 200 characters. */
  subject: string;
  /** Plain text, lines separated by \n. */
  text: string;
}

interface Template<K extends NotificationKind> {
  subject(params: NotificationParams[K]): string;
  /** Paragraphs, joined with blank lines. */
  body(params: NotificationParams[K]): string[];
}

const templates: { [K in NotificationKind]: Template<K> } = {
  'site-ready': {
    subject: (p) => `Your site ${value(p.siteName)} is ready`,
    body: (p) => [
      `The server of ${value(p.siteName)} has been installed and configured` +
        (p.hostname ? `: it answers at ${value(p.hostname)}.` : '.'),
      'Its administrators can now log in to it, and manage it through Berth.',
    ],
  },
  'cancellation-warning': {
    subject: (p) => `Your site ${value(p.siteName)} will be deleted on ${date(p.deleteAfter)}`,
    body: (p) => [
      `${value(p.siteName)} was cancelled. Its server, its data and its addresses will be ` +
        `deleted on ${date(p.deleteAfter)}, and cannot be recovered after that.`,
      'If the site should stay, ask the service operators to revert the cancellation before then.',
    ],
  },
  'upgrade-waiting-for-approval': {
    subject: (p) => `The upgrade of ${value(p.siteName)} is waiting for your approval`,
    body: (p) => [
      `A copy of ${value(p.siteName)} has been upgraded to ${value(p.release)}` +
        (p.testHostname ? ` on the test server ${value(p.testHostname)}.` : '.'),
      'Check that the site works on it, then approve the upgrade of the production server.' +
        (p.approveBy
          ? ` Without an approval by ${date(p.approveBy)}, the upgrade is abandoned.`
          : ''),
    ],
  },
  'certificate-expiry': {
    subject: (p) => `A TLS certificate of ${value(p.siteName)} expires on ${date(p.expiresAt)}`,
    body: (p) => [
      `The certificate for ${list(p.names)} on ${value(p.siteName)} expires on ` +
        `${date(p.expiresAt)}. After that, browsers will refuse the site over HTTPS.`,
      'Upload a renewed certificate for the same key, or request a new one, before then.',
    ],
  },
  'domain-approval-needed': {
    subject: (p) => `Approval needed: ${value(p.domain)} for ${value(p.siteName)}`,
    body: (p) => [
      `${value(p.requestedBy)} asked for the domain name ${value(p.domain)} on the site ` +
        `${value(p.siteName)}. The name is outside the organisation's zones, so an operator ` +
        'must approve it before the site answers to it.',
    ],
  },
  'domain-approval-given': {
    subject: (p) => `${value(p.domain)} was approved for ${value(p.siteName)}`,
    body: (p) => [
      `${value(p.approvedBy)} approved the domain name ${value(p.domain)} for ` +
        `${value(p.siteName)}. The site answers to it from its next configuration run; point ` +
        "the name's DNS records at the site's server if that has not been done.",
    ],
  },
  'domain-rejected': {
    subject: (p) => `${value(p.domain)} was not approved for ${value(p.siteName)}`,
    body: (p) => [
      `${value(p.rejectedBy)} did not approve the domain name ${value(p.domain)} for ` +
        `${value(p.siteName)}, so the site will not answer to it. The reason given:`,
      value(p.reason, maxRejectionReasonLength),
      'Remove the name from the virtual host in Berth, which also lets another site use it, ' +
        'or ask the service operators if the reason no longer holds.',
    ],
  },
  'host-failover': {
    subject: (p) => `Your server for ${value(p.siteName)} was restarted on another host`,
    body: (p) => [
      `The hypervisor host that ran the server of ${value(p.siteName)} stopped responding, ` +
        `so Berth restarted the server on ${value(p.to)}. It may have been unreachable for a ` +
        'few minutes and was restarted as after a power cut.',
    ],
  },
};

const footer = 'This message was sent automatically by Berth. Please do not reply to it.';

/** The subject and plain-text body of a notification. */
export function renderNotification<K extends NotificationKind>(
  kind: K,
  params: NotificationParams[K],
): RenderedNotification {
  const template = templates[kind];
  const subject = oneLine(template.subject(params));
  return {
    subject: subject.length > 200 ? `${subject.slice(0, 199)}…` : subject,
    text: [...template.body(params), footer].map(wrap).join('\n\n') + '\n',
  };
}

/**
 * A value as a message may show it: one line, without control characters (a name with a line
 * break must not start a line of its own, let alone a header), at most `max` characters.
 */
function value(text: string, max = 200): string {
  const line = oneLine(text);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function list(items: string[]): string {
  const shown = items.slice(0, 20).map((item) => value(item));
  const more = items.length > shown.length ? ` and ${items.length - shown.length} more` : '';
  return `${shown.join(', ')}${more}`;
}

function date(when: When): string {
  const time = new Date(when);
  if (Number.isNaN(time.getTime())) return value(String(when));
  return `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function oneLine(text: string): string {
  return text
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\u200b-\u200f\u202a-\u202e\u2066-\u2069]+/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** Lines of at most 76 characters, broken at spaces (a longer word keeps its own line). */
function wrap(paragraph: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of paragraph.split(' ')) {
    if (line && line.length + 1 + word.length > 76) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}
