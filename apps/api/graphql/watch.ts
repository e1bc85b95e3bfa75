import { setTimeout as delay } from 'node:timers/promises';

/**
 * Follows a record by reading it again every `intervalMs` and yielding each new version, until
 * `done` says it will not change any more, it disappears, or `maxMs` passes. Polling the database
 * is what lets the api report progress written by workers in other processes; each subscriber
 * costs one small query per interval, bounded in time.
 */
export async function* watch<T>(options: {
  read: () => Promise<T | null>;
  version: (value: T) => string;
  done: (value: T) => boolean;
  intervalMs?: number;
  maxMs?: number;
}): AsyncGenerator<T> {
  const deadline = Date.now() + (options.maxMs ?? 3_600_000);
  let last: string | undefined;
  while (Date.now() < deadline) {
    const value = await options.read();
    if (value === null) return;
    const version = options.version(value);
    if (version !== last) {
      last = version;
      yield value;
    }
    if (options.done(value)) return;
    await delay(options.intervalMs ?? 250);
  }
}
