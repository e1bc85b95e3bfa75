import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Context } from '@temporalio/activity';
import { forkEm, type Orm } from '../../libs/db/orm';
import { Site, SiteCertificate, SiteEvent } from '../../libs/domain';
import { queueNotification } from '../notify/queue';

/** Days before its expiry that a certificate's reminders go out. */
export const reminderDays = [30, 14, 3] as const;
/** Certificates looked at per activity call: each call stays well inside its timeout. */
export const certificatesPerPage = 200;

const dayMs = 24 * 3600 * 1000;

export interface CertificatePageInput {
  /** The last certificate id of the previous page; null for the first page. */
  after: string | null;
}

export interface CertificatePage {
  /** Certificates expired, or reminders queued, by this call. */
  changed: number;
  /** The id to continue after; null when this was the last page. */
  next: string | null;
}

/**
 * The daily certificate expiry check's activities, called by the `checkCertificates` workflow.
 * Both read the clock when they run, page through certificates by id, and are idempotent:
 * each change and each notification is written once, keyed by certificate, certificate
 * fingerprint and reminder (`certificate-expiry/<id>/<fingerprint>/<days>`), so a retried or
 * repeated check writes nothing twice. A reissued certificate uploaded to the same request has
 * another fingerprint, and so its own reminders.
 */
export function createCertificateActivities(deps: { orm: Orm }) {
  /**
   * Marks active certificates whose validity has ended as expired, each with an audit event and
   * a notification to its site, in one transaction.
   */
  async function expireCertificates(input: CertificatePageInput): Promise<CertificatePage> {
    const now = new Date();
    const page = await forkEm(deps.orm).find(
      SiteCertificate,
      {
        status: 'active',
        notAfter: { $lt: now },
        ...(input.after ? { id: { $gt: input.after } } : {}),
      },
      { orderBy: { id: 'asc' }, limit: certificatesPerPage },
    );
    let changed = 0;
    for (const found of page) {
      const expired = await forkEm(deps.orm).transactional(async (em) => {
        const certificate = await em.findOne(SiteCertificate, { id: found.id, status: 'active' });
        if (!certificate?.notAfter || certificate.notAfter >= now) return false;
        certificate.expire();
        const site = await em.findOne(Site, certificate.siteId);
        const dedupeKey = expiryKey(certificate, 'expired');
        em.persist(
          new SiteEvent({
            siteId: certificate.siteId,
            actor: 'system',
            action: 'certificate.expired',
            summary: `the certificate of virtual host ${certificate.vhostName} expired on ${certificate.notAfter.toISOString()}`,
            ...workflowOf(),
            dedupeKey,
          }),
        );
        if (site && site.status !== 'deleted') {
          await queueNotification(em, expiryNotification(site, certificate, dedupeKey));
        }
        return true;
      });
      if (expired) changed += 1;
    }
    return { changed, next: nextAfter(page) };
  }

  /**
   * Queues the reminder due for each active certificate that expires within 30 days: the one of
   * the nearest threshold it has reached (30, 14 or 3 days), so a certificate uploaded with ten
   * days left gets the 14-day reminder and then the 3-day one, never a late 30-day one.
   */
  async function queueExpiryReminders(input: CertificatePageInput): Promise<CertificatePage> {
    const now = new Date();
    const horizon = new Date(now.getTime() + Math.max(...reminderDays) * dayMs);
    const em = forkEm(deps.orm);
    const page = await em.find(
      SiteCertificate,
      {
        status: 'active',
        notAfter: { $gte: now, $lte: horizon },
        ...(input.after ? { id: { $gt: input.after } } : {}),
      },
      { orderBy: { id: 'asc' }, limit: certificatesPerPage },
    );
    const siteIds = [...new Set(page.map((certificate) => certificate.siteId))];
    const sites = new Map(
      (siteIds.length ? await em.find(Site, { id: { $in: siteIds } }) : []).map((site) => [
        site.id,
        site,
      ]),
    );
    let changed = 0;
    for (const certificate of page) {
      const site = sites.get(certificate.siteId);
      if (!site || site.status === 'deleted') continue;
      const daysLeft = (certificate.notAfter!.getTime() - now.getTime()) / dayMs;
      const due = [...reminderDays].sort((a, b) => a - b).find((days) => daysLeft <= days);
      if (due === undefined) continue;
      const write = forkEm(deps.orm);
      const queued = await queueNotification(
        write,
        expiryNotification(site, certificate, expiryKey(certificate, String(due))),
      );
      // Queued by an earlier check.
      if (!queued) continue;
      try {
        await write.flush();
        changed += 1;
      } catch (error) {
        // Another check (an overlapping retry) queued it first.
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
      }
    }
    return { changed, next: nextAfter(page) };
  }

  return { expireCertificates, queueExpiryReminders };
}

export type CertificateActivities = ReturnType<typeof createCertificateActivities>;

/** `certificate-expiry/<id>/<first 16 hex digits of the fingerprint>/<days or "expired">`. */
export function expiryKey(
  certificate: Pick<SiteCertificate, 'id' | 'fingerprint'>,
  what: string,
): string {
  return `certificate-expiry/${certificate.id}/${(certificate.fingerprint ?? '').slice(0, 16)}/${what}`;
}

/** A `certificate-expiry` notification to the site (its contact and its admins). */
function expiryNotification(site: Site, certificate: SiteCertificate, dedupeKey: string) {
  return {
    kind: 'certificate-expiry' as const,
    params: { siteName: site.name, names: certificate.names, expiresAt: certificate.notAfter! },
    dedupeKey,
    siteId: certificate.siteId,
  };
}

function nextAfter(page: SiteCertificate[]): string | null {
  return page.length === certificatesPerPage ? page[page.length - 1]!.id : null;
}

function workflowOf(): { workflowId: string | null; runId: string | null } {
  const execution = Context.current().info.workflowExecution;
  return { workflowId: execution?.workflowId ?? null, runId: execution?.runId ?? null };
}
