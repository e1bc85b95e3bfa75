import { type Em } from '../../../libs/db/orm';
import { type DomainName } from '../../../libs/domain';
import { queueNotification } from '../../../activities/notify/queue';

/**
 * The notifications about domain names, queued in the caller's unit of work (flushed with the
 * audit event they go with) for the `notification-delivery` schedule to e-mail. Recipients are
 * audiences looked up when each is sent, so a directory that is down delays the message, never
 * the change it reports. Each has a dedupe key: queuing it again queues nothing.
 */

/** To operators: one message per name waiting for their decision. */
export async function queueApprovalNeeded(
  em: Em,
  names: readonly Pick<DomainName, 'id' | 'siteId' | 'name' | 'status'>[],
  siteName: string,
  requestedBy: string,
): Promise<void> {
  for (const name of names) {
    if (name.status !== 'pending') continue;
    await queueNotification(em, {
      kind: 'domain-approval-needed',
      siteId: name.siteId,
      audience: 'operators',
      params: { siteName, domain: name.name, requestedBy },
      dedupeKey: `domain-approval-needed/${name.id}`,
    });
  }
}

/** To the site's contact address and admins: an operator approved one of its names. */
export async function queueApprovalGiven(
  em: Em,
  name: Pick<DomainName, 'id' | 'siteId' | 'name'>,
  siteName: string,
  approvedBy: string,
): Promise<void> {
  await queueNotification(em, {
    kind: 'domain-approval-given',
    siteId: name.siteId,
    audience: 'site',
    params: { siteName, domain: name.name, approvedBy },
    dedupeKey: `domain-approval-given/${name.id}`,
  });
}

/** To the site's contact address and admins: an operator rejected one of its names, and why. */
export async function queueRejection(
  em: Em,
  name: Pick<DomainName, 'id' | 'siteId' | 'name' | 'reason'>,
  siteName: string,
  rejectedBy: string,
): Promise<void> {
  await queueNotification(em, {
    kind: 'domain-rejected',
    siteId: name.siteId,
    audience: 'site',
    params: { siteName, domain: name.name, rejectedBy, reason: name.reason ?? '' },
    dedupeKey: `domain-rejected/${name.id}`,
  });
}
