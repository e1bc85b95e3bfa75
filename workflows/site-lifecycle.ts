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
  'create-test-server': { from: ['ready'] },
  'restore-backup': { from: ['ready'] },
  'switch-test-server': { from: ['ready'] },
  'delete-test-server': { from: ['ready', 'disabled', 'quarantined', 'suspended', 'cancelled'] },
  'back-up': { from: ['ready', 'disabled', 'quarantined', 'suspended'] },
  upgrade: { from: ['ready'] },
  'approve-upgrade': { from: ['ready'] },
  'cancel-upgrade': {
    from: ['ready', 'disabled', 'quarantined', 'suspended', 'cancelled', 'failed'],
  },
};

/** What the site will have once accepted changes are applied, as far as test servers go. */
export interface ServersOutlook {
  testServer: boolean;
  upgrading: boolean;
}

/** Changes that make or take away the test server, or start and end upgrades, as data. */
export function serversAfter(change: SiteChange, before: ServersOutlook): ServersOutlook {
  switch (change.kind) {
    case 'create-test-server':
    case 'restore-backup':
      return { ...before, testServer: true };
    case 'delete-test-server':
      return { ...before, testServer: false };
    case 'upgrade':
      return { testServer: true, upgrading: true };
    case 'approve-upgrade':
    case 'cancel-upgrade':
      // An upgrade's own test server goes when it ends; one that was there before stays. Counted
      // as staying, so a request that needs it gone waits for the upgrade to end first.
      return { ...before, upgrading: false };
    default:
      return before;
  }
}

/** Why a change that needs (or must not have) a test server or an upgrade cannot be accepted. */
export function serversRefusal(change: SiteChange, outlook: ServersOutlook): string | undefined {
  switch (change.kind) {
    case 'create-test-server':
    case 'restore-backup':
      return outlook.testServer ? 'the site has a test server; delete it first' : undefined;
    case 'switch-test-server':
    case 'delete-test-server':
      if (!outlook.testServer) return 'the site has no test server';
      return outlook.upgrading
        ? 'the test server is waiting for an upgrade to be approved; approve or cancel it first'
        : undefined;
    case 'upgrade':
      return outlook.upgrading ? 'an upgrade is already waiting for approval' : undefined;
    case 'approve-upgrade':
    case 'cancel-upgrade':
      return outlook.upgrading ? undefined : 'no upgrade is waiting for approval';
    default:
      return undefined;
  }
}

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
