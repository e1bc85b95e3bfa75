import { describe, expect, it } from 'vitest';
import { type Em } from '../../../libs/db/orm';
import { mustQueue, upgradeRoom } from '../../../libs/upgrades/upgrade-queue';

/** An entity manager that only counts: running and queued upgrades, as given. */
function counting(running: number, queued: number): Em {
  const count = (_entity: unknown, where: { status: string }) =>
    Promise.resolve(where.status === 'running' ? running : queued);
  return { count } as unknown as Em;
}

describe('the room under the cap on upgrades at once', () => {
  it.each([
    // max, running, queued → room, must queue
    [60, 0, 0, 60, false],
    [60, 59, 0, 1, false],
    [60, 60, 0, 0, true],
    // More running than the cap (it was lowered): no room, never a negative one.
    [10, 12, 0, 0, true],
    // Room, but others wait: a new upgrade goes behind them.
    [60, 3, 2, 57, true],
    // 0: no cap.
    [0, 500, 0, Infinity, false],
    [0, 500, 1, Infinity, true],
  ])('max %i, %i running, %i queued: room %s', async (max, running, queued, room, queue) => {
    const counted = await upgradeRoom(counting(running, queued), max);
    expect(counted).toEqual({ running, queued, room });
    expect(mustQueue(counted)).toBe(queue);
  });
});
