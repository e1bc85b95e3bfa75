/**
 * A site's lifecycle. Every status change goes through `transitionSite`, which rejects moves the
 * lifecycle does not allow; nothing else assigns a status.
 */
export const siteStatuses = ['requested', 'installing', 'ready', 'failed'] as const;
export type SiteStatus = (typeof siteStatuses)[number];

const allowed: Readonly<Record<SiteStatus, readonly SiteStatus[]>> = {
  requested: ['installing', 'failed'],
  installing: ['ready', 'failed'],
  ready: [],
  failed: [],
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
