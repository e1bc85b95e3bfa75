import { setTimeout as delay } from 'node:timers/promises';

/** Registers an undo for something the benchmark started; undos run last-in, first-out. */
export type Defer = (what: string, undo: () => Promise<unknown>) => void;

/** How long one undo may take before the next one runs anyway (a stuck worker must not leak a server). */
const undoLimitMs = 40_000;

/**
 * Runs one benchmark as a script: bounded by `limitMs`, and whatever it started is stopped on
 * success, failure, timeout, SIGINT or SIGTERM. Exits 0 on success, 1 otherwise.
 */
export function runBenchmark(
  name: string,
  limitMs: number,
  body: (defer: Defer) => Promise<void>,
): void {
  const undos: { what: string; undo: () => Promise<unknown> }[] = [];
  const defer: Defer = (what, undo) => undos.push({ what, undo: once(undo) });
  let finishing = false;
  const finish = async (code: number) => {
    if (finishing) return;
    finishing = true;
    clearTimeout(timer);
    for (const { what, undo } of undos.reverse()) {
      const outcome = await Promise.race([
        undo().then(
          () => 'done',
          (error: unknown) => `failed: ${String(error)}`,
        ),
        delay(undoLimitMs, `did not finish within ${undoLimitMs} ms`, { ref: false }),
      ]);
      if (outcome !== 'done') console.error(`${name}: stopping ${what} ${outcome}`);
    }
    process.exit(code);
  };
  const timer = setTimeout(() => {
    console.error(`${name}: gave up after ${limitMs} ms`);
    void finish(1);
  }, limitMs);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${name}: ${signal}, stopping`);
      void finish(130);
    });
  }
  const started = performance.now();
  body(defer).then(
    () => {
      console.log(`${name}: finished in ${Math.round((performance.now() - started) / 1000)} s`);
      return finish(0);
    },
    (error: unknown) => {
      console.error(`${name} failed:`, error);
      return finish(1);
    },
  );
}

/** A stop function that does its work once, however often it is called. */
export function once<T>(action: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= action());
}

/**
 * Polls `probe` every `intervalMs` until `done` accepts its value; fails after `timeoutMs` naming
 * what never happened and the last value seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs: number; intervalMs: number },
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (done(last)) return last;
    if (performance.now() > deadline) {
      throw new Error(
        `${what} did not happen within ${options.timeoutMs} ms (last: ${JSON.stringify(last)})`,
      );
    }
    await delay(options.intervalMs);
  }
}
