import { Context } from '@temporalio/activity';
import { setTimeout as delay } from 'node:timers/promises';
import { forkEm, type Em, type Orm } from '../../libs/db/orm';
import { Notification, Site } from '../../libs/domain';
import { DirectoryError } from '../directory/errors';
import { type Directory } from '../directory/port';
import { MailError } from './errors';
import { type Mailer } from './port';
import { queueNotification } from './queue';
import { notificationRecipients } from './recipients';

/**
 * How long a send holds the notification it claimed. Longer than a send activity may run
 * (mailCall's five minutes in workflows/activity-options.ts), so a second send starts only after
 * the first has certainly ended; a send whose worker died mid-way is tried again after this, not
 * at once, because the mail may well have gone out.
 */
export const sendingLeaseMs = 10 * 60_000;
/** The longest wait between two attempts at one notification (unless the first wait is longer). */
const maxRetryMs = 3600_000;

export interface SendNotificationResult {
  /**
   * - sent: the mail server took it (now, or in an earlier send);
   * - failed: refused for good, or out of attempts (now or earlier);
   * - deferred: a temporary failure, for everyone or for some recipients (the others have it);
   *   it is tried again from `nextAttemptAt`, for those who do not have it yet;
   * - skipped: another send holds it, or it is not due yet.
   */
  outcome: 'sent' | 'failed' | 'deferred' | 'skipped';
}

/**
 * Delivery of the notification outbox by e-mail, for the `deliverNotifications` workflow. A send
 * claims its row first (a conditional UPDATE, so two sends of one notification never both mail
 * it), then records the outcome on it. Retrying an activity is safe: a sent or failed row is
 * answered as it is, and a claimed one is left to its claim.
 */
export function createNotifyActivities(deps: {
  orm: Orm;
  mailer: Mailer;
  directory: Pick<Directory, 'membersOf' | 'findUser'>;
  /** `Name <address>` of MAIL_FROM. */
  from: string;
  operatorGroup: string;
  maxAttempts: number;
  retrySeconds: number;
}) {
  const messageIdDomain = /@([^\s<>@]+)>?\s*$/.exec(deps.from)?.[1] ?? 'berth.invalid';

  /** Ids of notifications due to be sent, oldest first; none claimed by a send under way. */
  async function dueNotifications(input: { limit: number }): Promise<string[]> {
    const now = new Date();
    const rows = await forkEm(deps.orm).find(
      Notification,
      {
        sentAt: null,
        failedAt: null,
        $and: [
          { $or: [{ nextAttemptAt: null }, { nextAttemptAt: { $lte: now } }] },
          {
            $or: [
              { sendingAt: null },
              { sendingAt: { $lt: new Date(now.getTime() - sendingLeaseMs) } },
            ],
          },
        ],
      },
      { fields: ['id'], orderBy: { createdAt: 'asc', id: 'asc' }, limit: input.limit },
    );
    return rows.map((row) => row.id);
  }

  /** Claims one notification, e-mails it to its recipients as they are now, records how it went. */
  async function sendNotification(input: { id: string }): Promise<SendNotificationResult> {
    const log = Context.current().log;
    const now = new Date();
    const em = forkEm(deps.orm);
    const row = await em.findOne(Notification, input.id, { disableIdentityMap: true });
    if (!row) return { outcome: 'skipped' };
    if (row.sentAt) return { outcome: 'sent' };
    if (row.failedAt) return { outcome: 'failed' };
    if (row.nextAttemptAt && row.nextAttemptAt > now) return { outcome: 'skipped' };
    // The attempt count read above is part of the guard: of two sends that read the same row,
    // only the first to write claims it.
    const claimed = await em.nativeUpdate(
      Notification,
      {
        id: row.id,
        attempts: row.attempts,
        sentAt: null,
        failedAt: null,
        $or: [
          { sendingAt: null },
          { sendingAt: { $lt: new Date(now.getTime() - sendingLeaseMs) } },
        ],
      },
      { sendingAt: now, attempts: row.attempts + 1 },
    );
    if (claimed !== 1) return { outcome: 'skipped' };
    const attempt = row.attempts + 1;
    const fields = { notificationId: row.id, kind: row.kind, siteId: row.siteId, attempt };

    let addresses: string[];
    try {
      const recipients = await notificationRecipients(forkEm(deps.orm), deps.directory, row, {
        operatorGroup: deps.operatorGroup,
      });
      addresses = recipients.addresses;
      if (recipients.withoutAddress.length > 0) {
        log.info('some recipients have no address in the directory', {
          ...fields,
          withoutAddress: recipients.withoutAddress,
        });
      }
    } catch (error) {
      if (!(error instanceof DirectoryError)) {
        await release(row.id);
        throw error;
      }
      log.warn('the directory could not list the recipients of a notification', {
        ...fields,
        error: error.message,
      });
      return defer(
        row.id,
        attempt,
        `the directory could not list the recipients: ${error.message}`,
      );
    }
    // An earlier attempt may have reached some of them, leaving others for later.
    const reached = row.deliveredTo ? row.deliveredTo.split(',').filter(Boolean) : [];
    if (addresses.length === 0 && reached.length === 0) {
      log.warn('a notification has nobody to go to', fields);
      return fail(row.id, 'no recipient has an e-mail address');
    }
    addresses = addresses.filter((address) => !reached.includes(address));
    if (addresses.length === 0) {
      await settle(row.id, { sentAt: new Date() });
      return { outcome: 'sent' };
    }

    try {
      const receipt = await deps.mailer.send({
        from: deps.from,
        to: addresses,
        subject: row.subject,
        text: row.body,
        // The same for every attempt: a mail system that got it twice can tell.
        messageId: `<${row.id}@${messageIdDomain}>`,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Berth-Notification': row.kind },
      });
      const refused = receipt.rejected.map((r) => `${r.address}: ${r.reason}`).join('; ');
      const deliveredTo = [...reached, ...receipt.accepted].join(',').slice(0, 2000);
      // Addresses put off for now (greylisting, a full mailbox) get it in a later attempt.
      const putOff = receipt.rejected.filter((rejection) => rejection.temporary);
      if (putOff.length > 0 && attempt < deps.maxAttempts) {
        await settle(row.id, {
          deliveredTo,
          nextAttemptAt: nextAttemptAt(attempt),
          lastError: `refused ${refused}`.slice(0, 500),
        });
        log.info('notification sent to some recipients; the others are tried again later', {
          ...fields,
          accepted: receipt.accepted.length,
          putOff: putOff.length,
        });
        return { outcome: 'deferred' };
      }
      await settle(row.id, {
        sentAt: new Date(),
        deliveredTo,
        lastError: refused ? `refused ${refused}`.slice(0, 500) : null,
      });
      log.info('notification sent', {
        ...fields,
        accepted: receipt.accepted.length,
        refused: receipt.rejected.length,
      });
      return { outcome: 'sent' };
    } catch (error) {
      if (!(error instanceof MailError)) {
        // Not the mail server's answer: whether it went out is unknown, so the claim stands
        // until its lease runs out rather than let a retry mail it again at once.
        throw error;
      }
      if (error.blamesMessage) {
        log.warn('the mail server refused a notification', { ...fields, error: error.message });
        return fail(row.id, error.message);
      }
      // Berth's own settings (credentials, sender, TLS) need an operator: say so loudly.
      const level = error.kind === 'MailDenied' ? 'error' : 'warn';
      log[level]('a notification could not be sent; it will be tried again', {
        ...fields,
        failure: error.kind,
        error: error.message,
      });
      return defer(row.id, attempt, error.message);
    }
  }

  /** Gives up on a notification for good. */
  async function fail(id: string, reason: string): Promise<SendNotificationResult> {
    await settle(id, { failedAt: new Date(), lastError: reason.slice(0, 500) });
    return { outcome: 'failed' };
  }

  /** Waits (doubling each time) before the next attempt, or gives up once attempts run out. */
  async function defer(
    id: string,
    attempt: number,
    reason: string,
  ): Promise<SendNotificationResult> {
    if (attempt >= deps.maxAttempts) {
      return fail(id, `gave up after ${attempt} attempts: ${reason}`);
    }
    await settle(id, { nextAttemptAt: nextAttemptAt(attempt), lastError: reason.slice(0, 500) });
    return { outcome: 'deferred' };
  }

  /** When to try again after this attempt: the first wait, doubled each time, up to an hour. */
  function nextAttemptAt(attempt: number): Date {
    const firstMs = deps.retrySeconds * 1000;
    const waitMs = Math.min(firstMs * 2 ** (attempt - 1), Math.max(maxRetryMs, firstMs));
    return new Date(Date.now() + waitMs);
  }

  /**
   * Records an outcome and ends the claim. Tried a few times in place: after a mail went out, a
   * failed write would leave the claim to its lease, and the mail to be sent again after it.
   */
  async function settle(
    id: string,
    changes: Partial<
      Pick<Notification, 'sentAt' | 'failedAt' | 'nextAttemptAt' | 'lastError' | 'deliveredTo'>
    >,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await forkEm(deps.orm).nativeUpdate(
          Notification,
          { id, sentAt: null },
          { ...changes, sendingAt: null },
        );
        return;
      } catch (error) {
        if (attempt >= 3) throw error;
        await delay(500 * attempt);
      }
    }
  }

  /** Ends a claim that sent nothing, so the next run may try at once. */
  async function release(id: string): Promise<void> {
    await forkEm(deps.orm)
      .nativeUpdate(Notification, { id, sentAt: null }, { sendingAt: null })
      .catch(() => undefined);
  }

  /**
   * Queues a warning for each cancelled site whose deletion is due within one of the lead times,
   * once per lead time and deletion date: at the smallest lead time it is within (a site whose
   * grace period is shorter than the longest lead time is not warned twice at once).
   */
  async function queueCancellationWarnings(input: {
    leadHours: number[];
  }): Promise<{ queued: number }> {
    if (input.leadHours.length === 0) return { queued: 0 };
    const now = Date.now();
    const longest = Math.max(...input.leadHours) * 3600_000;
    const sites = await forkEm(deps.orm).find(
      Site,
      { status: 'cancelled', deleteAfter: { $gt: new Date(now), $lte: new Date(now + longest) } },
      { fields: ['id', 'name', 'deleteAfter'], orderBy: { deleteAfter: 'asc' }, limit: 1000 },
    );
    let queued = 0;
    for (const site of sites) {
      const deleteAfter = site.deleteAfter!;
      const hoursLeft = (deleteAfter.getTime() - now) / 3600_000;
      const lead = Math.min(...input.leadHours.filter((hours) => hours >= hoursLeft));
      const made = await forkEm(deps.orm).transactional((em: Em) =>
        queueNotification(em, {
          kind: 'cancellation-warning',
          siteId: site.id,
          params: { siteName: site.name, deleteAfter },
          dedupeKey: `cancellation-warning/${site.id}/${deleteAfter.getTime()}/${lead}h`,
        }),
      );
      if (made) queued += 1;
    }
    return { queued };
  }

  return { dueNotifications, sendNotification, queueCancellationWarnings };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
