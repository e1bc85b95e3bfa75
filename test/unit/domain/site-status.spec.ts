import { describe, expect, it } from 'vitest';
import { Site } from '../../../libs/domain/site.entity';
import {
  IllegalTransitionError,
  type SiteStatus,
  canTransition,
  siteStatuses,
  transitionSite,
} from '../../../libs/domain/site-status';

/** The lifecycle, written out: every move a site may make. Anything else is illegal. */
const allowedMoves: readonly (readonly [SiteStatus, SiteStatus])[] = [
  ['requested', 'installing'],
  ['requested', 'failed'],
  ['requested', 'deleted'],
  ['installing', 'ready'],
  ['installing', 'failed'],
  ['ready', 'configuring'],
  ['ready', 'disabled'],
  ['ready', 'suspended'],
  ['ready', 'quarantined'],
  ['ready', 'cancelled'],
  ['ready', 'deleted'],
  ['configuring', 'ready'],
  ['configuring', 'configuring-queued'],
  ['configuring-queued', 'configuring'],
  ['disabled', 'ready'],
  ['disabled', 'suspended'],
  ['disabled', 'cancelled'],
  ['disabled', 'deleted'],
  ['suspended', 'disabled'],
  ['suspended', 'cancelled'],
  ['suspended', 'deleted'],
  ['quarantined', 'ready'],
  ['quarantined', 'disabled'],
  ['quarantined', 'suspended'],
  ['quarantined', 'cancelled'],
  ['quarantined', 'deleted'],
  ['cancelled', 'ready'],
  ['cancelled', 'disabled'],
  ['cancelled', 'suspended'],
  ['cancelled', 'quarantined'],
  ['cancelled', 'failed'],
  ['cancelled', 'deleted'],
  ['failed', 'cancelled'],
  ['failed', 'deleted'],
];

const isAllowed = (from: SiteStatus, to: SiteStatus) =>
  allowedMoves.some(([f, t]) => f === from && t === to);

const everyPair = siteStatuses.flatMap((from) => siteStatuses.map((to) => [from, to] as const));
const allowedPairs = everyPair.filter(([from, to]) => isAllowed(from, to));
const illegalPairs = everyPair.filter(([from, to]) => !isAllowed(from, to));

function aSite(): Site {
  return new Site({
    id: '6f1c1f43-8c43-4b59-9a51-5c2f0d3b7e01',
    name: 'shop',
    description: 'The shop',
    owner: 'alice',
    contactEmail: 'alice@example.test',
  });
}

describe(canTransition.name, () => {
  it('covers every status', () => {
    expect([...siteStatuses].sort()).toEqual([
      'cancelled',
      'configuring',
      'configuring-queued',
      'deleted',
      'disabled',
      'failed',
      'installing',
      'quarantined',
      'ready',
      'requested',
      'suspended',
    ]);
    expect(everyPair).toHaveLength(121);
  });

  it('ends at deleted: nothing leaves it', () => {
    expect(siteStatuses.filter((to) => canTransition('deleted', to))).toEqual([]);
  });

  it.each(everyPair)('from %s to %s matches the lifecycle table', (from, to) => {
    expect(canTransition(from, to)).toBe(isAllowed(from, to));
  });
});

describe(transitionSite.name, () => {
  it.each(allowedPairs)('moves from %s to %s', (from, to) => {
    expect(transitionSite(from, to)).toBe(to);
  });

  it.each(illegalPairs)('refuses to move from %s to %s', (from, to) => {
    let thrown: unknown;
    try {
      transitionSite(from, to);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(IllegalTransitionError);
    expect(thrown).toMatchObject({ from, to, message: `a site cannot go from ${from} to ${to}` });
  });
});

describe(Site.name, () => {
  it('starts as requested', () => {
    expect(aSite().status).toBe('requested');
  });

  it('follows a legal path to ready', () => {
    const site = aSite();
    site.moveTo('installing');
    expect(site.status).toBe('installing');
    site.moveTo('ready');
    expect(site.status).toBe('ready');
  });

  it('keeps its status when a move is refused', () => {
    const site = aSite();
    site.moveTo('installing');
    site.moveTo('failed');
    expect(() => site.moveTo('ready')).toThrow(IllegalTransitionError);
    expect(site.status).toBe('failed');
  });

  it('refuses to skip installing', () => {
    const site = aSite();
    expect(() => site.moveTo('ready')).toThrow(IllegalTransitionError);
    expect(site.status).toBe('requested');
  });
});
