import { proxyActivities } from '@temporalio/workflow';
import type { CertificateActivities, CertificatePage } from '../activities/certificates/activities';
import { quickCall } from './activity-options';

export interface CheckCertificatesResult {
  /** Active certificates found past their validity and marked expired. */
  expired: number;
  /** Expiry reminders queued (30, 14 and 3 days before). */
  reminded: number;
}

/**
 * The daily certificate expiry check, run by the `certificate-expiry` schedule: marks expired
 * certificates (telling their sites) and queues the reminders that are due, a page of
 * certificates per activity call. Safe to run at any time and any number of times: the
 * activities write each change and each notification once. The counts are its result, readable
 * in the Temporal UI.
 */
export async function checkCertificates(
  _input: Record<string, never> = {},
): Promise<CheckCertificatesResult> {
  const { expireCertificates, queueExpiryReminders } =
    proxyActivities<CertificateActivities>(quickCall);
  let expired = 0;
  let after: string | null = null;
  do {
    const page: CertificatePage = await expireCertificates({ after });
    expired += page.changed;
    after = page.next;
  } while (after !== null);
  let reminded = 0;
  do {
    const page: CertificatePage = await queueExpiryReminders({ after });
    reminded += page.changed;
    after = page.next;
  } while (after !== null);
  return { expired, reminded };
}
