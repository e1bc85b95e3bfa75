import { describe, expect, it } from 'vitest';
import { BatchedWatch, chunks } from '../../../apps/api/graphql/watch';

interface Row {
  status: string;
}

/** A table in memory that counts how often, and with which ids, it is read. */
function table(rows: Record<string, Row>) {
  const reads: string[][] = [];
  return {
    rows,
    reads,
    readMany: (ids: string[]) => {
      reads.push([...ids].sort());
      return Promise.resolve(
        new Map(ids.filter((id) => id in rows).map((id) => [id, { ...rows[id]! }])),
      );
    },
  };
}

async function collect<T>(stream: AsyncGenerator<T>): Promise<T[]> {
  const seen: T[] = [];
  for await (const value of stream) seen.push(value);
  return seen;
}

const follow = (watch: BatchedWatch<Row>, id: string, maxMs?: number) =>
  watch.follow(id, {
    version: (row) => row.status,
    done: (row) => row.status === 'deleted',
    maxMs,
  });

describe('BatchedWatch', () => {
  it('reads every watched record in one statement per interval, whoever watches it', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `site-${i}`);
    const data = table(Object.fromEntries(ids.map((id) => [id, { status: 'installing' }])));
    const watch = new BatchedWatch({ ...data, intervalMs: 10, onError: () => undefined });
    const streams = ids.map((id) => collect(follow(watch, id)));
    await new Promise((resolve) => setTimeout(resolve, 60));
    for (const id of ids) data.rows[id] = { status: 'deleted' };
    const seen = await Promise.all(streams);

    expect(seen.every((s) => s.map((r) => r.status).join() === 'installing,deleted')).toBe(true);
    // Far fewer reads than subscribers times intervals, and each read asked for all fifty.
    expect(data.reads.length).toBeLessThan(20);
    expect(data.reads.some((read) => read.length === 50)).toBe(true);
    expect(watch.watched).toBe(0);
  });

  it('yields only changes, and ends when the record disappears', async () => {
    const data = table({ a: { status: 'ready' } });
    const watch = new BatchedWatch({ ...data, intervalMs: 5, onError: () => undefined });
    const stream = collect(follow(watch, 'a'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    data.rows.a = { status: 'disabled' };
    await new Promise((resolve) => setTimeout(resolve, 30));
    delete data.rows.a;
    expect((await stream).map((row) => row.status)).toEqual(['ready', 'disabled']);
    expect(watch.watched).toBe(0);
  });

  it('ends at its time limit, and keeps going after a failed read', async () => {
    const data = table({ a: { status: 'ready' } });
    const errors: unknown[] = [];
    let fail = true;
    const watch = new BatchedWatch({
      readMany: (ids: string[]) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('database is locked'));
        }
        return data.readMany(ids);
      },
      intervalMs: 5,
      onError: (error) => errors.push(error),
    });
    const seen = await collect(follow(watch, 'a', 100));
    expect(seen.map((row) => row.status)).toEqual(['ready']);
    expect(errors).toHaveLength(1);
    expect(watch.watched).toBe(0);
  });

  it('stops reading once a consumer stops listening', async () => {
    const data = table({ a: { status: 'ready' } });
    const watch = new BatchedWatch({ ...data, intervalMs: 5, onError: () => undefined });
    const stream = follow(watch, 'a');
    expect((await stream.next()).value).toEqual({ status: 'ready' });
    await stream.return(undefined);
    const readsAfterReturn = data.reads.length;
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(watch.watched).toBe(0);
    expect(data.reads.length).toBeLessThanOrEqual(readsAfterReturn + 1);
  });
});

describe('chunks', () => {
  it('splits ids into IN lists of at most the given size', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 2)).toEqual([]);
  });
});
