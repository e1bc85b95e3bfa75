import { describe, expect, it } from 'vitest';
import { canTransition, siteStatuses } from '../../../libs/domain/site-status';
import {
  changeRules,
  refusal,
  serversAfter,
  serversRefusal,
  settledStatus,
  statusAfter,
} from '../../../workflows/site-lifecycle';
import { type SiteChange, type SiteChangeKind } from '../../../workflows/site.messages';

/** One change of each kind, with the data it needs. */
const examples: Record<SiteChangeKind, SiteChange> = {
  configure: { kind: 'configure' },
  disable: { kind: 'disable' },
  enable: { kind: 'enable' },
  suspend: { kind: 'suspend', reason: 'abuse report' },
  unsuspend: { kind: 'unsuspend' },
  quarantine: { kind: 'quarantine' },
  'release-quarantine': { kind: 'release-quarantine' },
  cancel: { kind: 'cancel' },
  'revert-cancellation': { kind: 'revert-cancellation' },
  delete: { kind: 'delete' },
  'set-renewal': { kind: 'set-renewal', renews: false },
  'power-on': { kind: 'power-on' },
  'power-off': { kind: 'power-off' },
  reboot: { kind: 'reboot' },
  reset: { kind: 'reset' },
  'create-snapshot': { kind: 'create-snapshot', name: 'before-upgrade' },
  'revert-snapshot': { kind: 'revert-snapshot', name: 'before-upgrade' },
  'delete-snapshot': { kind: 'delete-snapshot', name: 'before-upgrade' },
  'create-test-server': { kind: 'create-test-server' },
  'restore-backup': { kind: 'restore-backup', name: '2026-12-01' },
  'switch-test-server': { kind: 'switch-test-server' },
  'delete-test-server': { kind: 'delete-test-server' },
  'back-up': { kind: 'back-up' },
  upgrade: { kind: 'upgrade', image: 'debian-13' },
  'approve-upgrade': { kind: 'approve-upgrade' },
  'cancel-upgrade': { kind: 'cancel-upgrade' },
};

const acceptedPairs = Object.values(examples).flatMap((change) =>
  changeRules[change.kind].from.map((from) => [change.kind, from] as const),
);

describe('site change rules', () => {
  it.each(acceptedPairs)('%s from %s is a move the status machine allows', (kind, from) => {
    const change = examples[kind];
    // Where the site could stand before a cancellation, for revert-cancellation.
    for (const before of ['ready', 'disabled', 'suspended', 'quarantined'] as const) {
      const to = statusAfter(change, from, before);
      expect(to === from || canTransition(from, to), `${from} -> ${to}`).toBe(true);
    }
  });

  it.each(Object.keys(examples) as SiteChangeKind[])(
    'refuses %s in every status its rule does not list',
    (kind) => {
      for (const status of siteStatuses) {
        const listed = changeRules[kind].from.includes(status);
        expect(refusal(examples[kind], status) === undefined, status).toBe(listed);
      }
    },
  );

  it('accepts nothing for a deleted site', () => {
    for (const change of Object.values(examples)) expect(refusal(change, 'deleted')).toBeDefined();
  });

  it('treats a configuration run as the ready site it ends in', () => {
    expect(settledStatus('configuring')).toBe('ready');
    expect(settledStatus('configuring-queued')).toBe('ready');
    expect(settledStatus('disabled')).toBe('disabled');
  });

  it('reverts a cancellation to where the site was', () => {
    expect(statusAfter(examples['revert-cancellation'], 'cancelled', 'suspended')).toBe(
      'suspended',
    );
    expect(statusAfter(examples['revert-cancellation'], 'cancelled', null)).toBe('ready');
  });
});

describe('test servers and upgrades, as accepted changes see them', () => {
  const none = { testServer: false, upgrading: false };
  const withTest = { testServer: true, upgrading: false };
  const upgrading = { testServer: true, upgrading: true };

  it('a test server is made only when there is none, and switched or deleted only when there is', () => {
    expect(serversRefusal(examples['create-test-server'], none)).toBeUndefined();
    expect(serversRefusal(examples['restore-backup'], none)).toBeUndefined();
    expect(serversRefusal(examples['create-test-server'], withTest)).toMatch(/has a test server/);
    expect(serversRefusal(examples['restore-backup'], withTest)).toMatch(/has a test server/);
    expect(serversRefusal(examples['switch-test-server'], none)).toMatch(/no test server/);
    expect(serversRefusal(examples['delete-test-server'], none)).toMatch(/no test server/);
    expect(serversRefusal(examples['switch-test-server'], withTest)).toBeUndefined();
    expect(serversRefusal(examples['delete-test-server'], withTest)).toBeUndefined();
  });

  it('a waiting upgrade keeps its test server and refuses a second upgrade', () => {
    expect(serversRefusal(examples['switch-test-server'], upgrading)).toMatch(/approve or cancel/);
    expect(serversRefusal(examples['delete-test-server'], upgrading)).toMatch(/approve or cancel/);
    expect(serversRefusal(examples.upgrade, upgrading)).toMatch(/already waiting/);
    expect(serversRefusal(examples['approve-upgrade'], none)).toMatch(/no upgrade/);
    expect(serversRefusal(examples['cancel-upgrade'], withTest)).toMatch(/no upgrade/);
    expect(serversRefusal(examples['approve-upgrade'], upgrading)).toBeUndefined();
  });

  it('pending changes are folded in order, as the validator does', () => {
    const fold = (changes: SiteChange[]) => changes.reduce((o, c) => serversAfter(c, o), none);
    expect(fold([examples['create-test-server']])).toEqual(withTest);
    expect(fold([examples['create-test-server'], examples['delete-test-server']])).toEqual(none);
    expect(fold([examples.upgrade])).toEqual(upgrading);
    expect(fold([examples.upgrade, examples['cancel-upgrade']])).toEqual(withTest);
    expect(fold([examples.configure, examples.reboot])).toEqual(none);
  });
});
