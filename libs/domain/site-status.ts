/**
 * A site's lifecycle. Every status change goes through `transitionSite`, which rejects moves the
 * lifecycle does not allow; nothing else assigns a status.
 *
 * - requested → installing → ready: provisioning (failed when it cannot finish).
 * - ready ⇄ configuring ⇄ configuring-queued: a configuration run, and changes that arrived
 *   during it, coalesced into one follow-up run.
 * - disabled: switched off by its admins; enable returns it to ready.
 * - suspended: switched off by operators (with a reason); unsuspending leaves it disabled, as in
 *   MWS3, so that its admins decide when it comes back.
 * - quarantined: web and mail services stopped; released back to ready.
 * - cancelled: in its grace period before deletion; an operator can revert it to where it was.
 * - deleted: its server, addresses and records are gone. Final.
 */
export const siteStatuses = [
  'requested',
  'installing',
  'ready',
  'configuring',
  'configuring-queued',
  'disabled',
  'suspended',
  'quarantined',
  'cancelled',
  'deleted',
  'failed',
] as const;
export type SiteStatus = (typeof siteStatuses)[number];

const allowed: Readonly<Record<SiteStatus, readonly SiteStatus[]>> = {
  requested: ['installing', 'failed', 'deleted'],
  installing: ['ready', 'failed'],
  ready: ['configuring', 'disabled', 'suspended', 'quarantined', 'cancelled', 'deleted'],
  configuring: ['ready', 'configuring-queued'],
  'configuring-queued': ['configuring'],
  disabled: ['ready', 'suspended', 'cancelled', 'deleted'],
  suspended: ['disabled', 'cancelled', 'deleted'],
  quarantined: ['ready', 'disabled', 'suspended', 'cancelled', 'deleted'],
  cancelled: ['ready', 'disabled', 'suspended', 'quarantined', 'failed', 'deleted'],
  deleted: [],
  failed: ['cancelled', 'deleted'],
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: SiteStatus,
    readonly to: SiteStatus,
  ) {
    super(`a site cannot go from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function canTransition(from: SiteStatus, to: SiteStatus): boolean {
  return allowed[from].includes(to);
}

/** Returns the new status, or throws IllegalTransitionError. */
export function transitionSite(from: SiteStatus, to: SiteStatus): SiteStatus {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
  return to;
}
