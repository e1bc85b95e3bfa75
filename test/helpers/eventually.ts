import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `probe` until it returns a value `done` accepts, or fails after `timeoutMs` with a message
 * naming what never happened and the last value seen. No fixed sleeps in tests: wait for this.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await delay(100);
  }
  const seen = lastError
    ? `last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`
    : `last value: ${JSON.stringify(last)}`;
  throw new Error(`${what} did not happen within ${timeoutMs} ms (${seen})`);
}
