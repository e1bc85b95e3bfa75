import { type SiteStatus } from '../libs/domain/site-status';
import { type SiteChange, type SiteChangeKind } from './site.messages';

/**
 * What each change needs and does, as data, so the workflow's validator and its handler agree.
 * `from`: the statuses (once pending changes and configuration runs settle) it is accepted in.
 * `to`: the status it moves the site to, if it moves it.
 */
export const changeRules: Readonly<
  Record<SiteChangeKind, { from: readonly SiteStatus[]; to?: SiteStatus; operatorOnly?: boolean }>
> = {
  configure: { from: ['ready', 'quarantined'] },
  disable: { from: ['ready', 'quarantined'], to: 'disabled' },
  enable: { from: ['disabled'], to: 'ready' },
  suspend: { from: ['ready', 'disabled', 'quarantined'], to: 'suspended', operatorOnly: true },
  unsuspend: { from: ['suspended'], to: 'disabled', operatorOnly: true },
  quarantine: { from: ['ready'], to: 'quarantined' },
  'release-quarantine': { from: ['quarantined'], to: 'ready' },
  cancel: { from: ['ready', 'disabled', 'quarantined', 'failed'], to: 'cancelled' },
  'revert-cancellation': { from: ['cancelled'], operatorOnly: true },
  delete: {
    from: ['requested', 'ready', 'disabled', 'suspended', 'quarantined', 'cancelled', 'failed'],
    to: 'deleted',
    operatorOnly: true,
  },
  'set-renewal': { from: ['ready', 'disabled', 'suspended', 'quarantined'] },
  'power-on': { from: ['ready', 'quarantined'] },
  'power-off': { from: ['ready', 'quarantined'] },
  reboot: { from: ['ready', 'quarantined'] },
  reset: { from: ['ready', 'quarantined'] },
  'create-snapshot': { from: ['ready', 'disabled', 'quarantined'] },
  'revert-snapshot': { from: ['ready', 'disabled', 'quarantined'] },
  'delete-snapshot': { from: ['ready', 'disabled', 'quarantined', 'suspended', 'cancelled'] },
};

/** A configuration run ends in the status it started from, so it counts as that status. */
export function settledStatus(status: SiteStatus): SiteStatus {
  return status === 'configuring' || status === 'configuring-queued' ? 'ready' : status;
}

/** The status a change would leave the site in, given where it stood before it. */
export function statusAfter(
  change: SiteChange,
  before: SiteStatus,
  statusBeforeCancel: SiteStatus | null,
): SiteStatus {
  if (change.kind === 'revert-cancellation') return statusBeforeCancel ?? 'ready';
  return changeRules[change.kind].to ?? before;
}

/** Why a change cannot be accepted now, or undefined when it can. */
export function refusal(change: SiteChange, status: SiteStatus): string | undefined {
  const rule = changeRules[change.kind];
  if (rule.from.includes(status)) return undefined;
  return `a ${status} site cannot be changed by ${change.kind}`;
}
