import { describe, expect, it } from 'vitest';
import { DirectoryError } from '../../../activities/directory/errors';
import { type Directory } from '../../../activities/directory/port';
import {
  DirectoryMemberships,
  MembershipsUnavailableError,
} from '../../../apps/api/auth/memberships';

/** A directory whose answers the test sets, counting the lookups it is asked for. */
function countingDirectory(groups: Record<string, string[]>) {
  const state = { lookups: 0, failing: false, release: undefined as (() => void) | undefined };
  const directory: Directory = {
    name: 'test',
    findUser: () => Promise.resolve(undefined),
    searchUsers: () => Promise.resolve([]),
    membersOf: () => Promise.resolve([]),
    findGroup: () => Promise.resolve(undefined),
    close: () => Promise.resolve(),
    async groupsOf(uid) {
      state.lookups += 1;
      if (state.release) await new Promise<void>((resolve) => (state.release = resolve));
      if (state.failing) throw new DirectoryError('DirectoryUnavailable', 'down');
      return [...(groups[uid] ?? [])];
    },
  };
  return { directory, state, groups };
}

describe(DirectoryMemberships.name, () => {
  it('reuses an answer for its time to live, then asks again and sees the change', async () => {
    let now = 1_000;
    const { directory, state, groups } = countingDirectory({ alice: ['webmasters'] });
    const memberships = new DirectoryMemberships(directory, { ttlMs: 60_000, now: () => now });

    expect(await memberships.groupsOf('alice')).toEqual(['webmasters']);
    groups.alice = [];
    now += 59_999;
    expect(await memberships.groupsOf('alice')).toEqual(['webmasters']);
    expect(state.lookups).toBe(1);
    now += 1;
    expect(await memberships.groupsOf('alice')).toEqual([]);
    expect(state.lookups).toBe(2);
  });

  it('asks on every request when the time to live is 0', async () => {
    const { directory, state } = countingDirectory({ alice: ['webmasters'] });
    const memberships = new DirectoryMemberships(directory, { ttlMs: 0 });
    await memberships.groupsOf('alice');
    await memberships.groupsOf('alice');
    expect(state.lookups).toBe(2);
  });

  it('shares one lookup between concurrent requests of one user', async () => {
    const { directory, state } = countingDirectory({ alice: ['webmasters'] });
    state.release = () => undefined;
    const memberships = new DirectoryMemberships(directory, { ttlMs: 60_000 });
    const answers = Promise.all([1, 2, 3].map(() => memberships.groupsOf('alice')));
    await Promise.resolve();
    state.release();
    expect(await answers).toEqual([['webmasters'], ['webmasters'], ['webmasters']]);
    expect(state.lookups).toBe(1);
  });

  it('turns directory failures into MembershipsUnavailableError and does not remember them', async () => {
    const { directory, state } = countingDirectory({ alice: ['webmasters'] });
    const memberships = new DirectoryMemberships(directory, { ttlMs: 60_000 });
    state.failing = true;
    await expect(memberships.groupsOf('alice')).rejects.toBeInstanceOf(MembershipsUnavailableError);
    state.failing = false;
    expect(await memberships.groupsOf('alice')).toEqual(['webmasters']);
    expect(state.lookups).toBe(2);
  });

  it('forgets the oldest answers beyond maxEntries', async () => {
    const { directory, state } = countingDirectory({});
    const memberships = new DirectoryMemberships(directory, { ttlMs: 60_000, maxEntries: 2 });
    await memberships.groupsOf('a');
    await memberships.groupsOf('b');
    await memberships.groupsOf('c');
    expect(state.lookups).toBe(3);
    await memberships.groupsOf('c');
    await memberships.groupsOf('b');
    expect(state.lookups).toBe(3);
    await memberships.groupsOf('a');
    expect(state.lookups).toBe(4);
  });
});
