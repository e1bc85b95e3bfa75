/**
 * Follows records of one kind (sites, operations) for subscriptions. Progress is written by
 * workers in other processes, so the api learns of it by reading the database; one read per
 * interval covers every record anyone is watching, so a thousand subscribers cost the same
 * statement as one (the time-to-site benchmark found per-subscriber polling dominating the api).
 */
export class BatchedWatch<T> {
  private readonly listeners = new Map<string, Set<(value: T | null) => void>>();
  private timer: NodeJS.Timeout | undefined;
  private reading = false;

  constructor(
    private readonly options: {
      /** The current version of each id that still exists; ids left out have gone. */
      readMany: (ids: string[]) => Promise<Map<string, T>>;
      intervalMs: number;
      onError: (error: unknown) => void;
    },
  ) {}

  /** How many records are being watched (for tests and health). */
  get watched(): number {
    return this.listeners.size;
  }

  /**
   * Yields the record each time `version` changes, starting with its current version, until
   * `done` says it will not change any more, it disappears, or `maxMs` passes. A slow consumer
   * gets the latest version, not every one in between.
   */
  async *follow(
    id: string,
    options: { version: (value: T) => string; done: (value: T) => boolean; maxMs?: number },
  ): AsyncGenerator<T> {
    let latest: { value: T | null } | undefined;
    let expired = false;
    let wake: (() => void) | undefined;
    const listener = (value: T | null) => {
      latest = { value };
      wake?.();
    };
    const deadline = setTimeout(() => {
      expired = true;
      wake?.();
    }, options.maxMs ?? 3_600_000);
    this.add(id, listener);
    try {
      let last: string | undefined;
      for (;;) {
        while (latest === undefined && !expired) {
          await new Promise<void>((resolve) => (wake = resolve));
        }
        if (expired || latest === undefined) return;
        const { value } = latest;
        latest = undefined;
        if (value === null) return;
        const version = options.version(value);
        if (version !== last) {
          last = version;
          yield value;
        }
        if (options.done(value)) return;
      }
    } finally {
      clearTimeout(deadline);
      this.remove(id, listener);
    }
  }

  private add(id: string, listener: (value: T | null) => void): void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    // A new subscriber hears the current version at once, not an interval later.
    if (!this.reading) this.schedule(0);
  }

  private remove(id: string, listener: (value: T | null) => void): void {
    const set = this.listeners.get(id);
    set?.delete(listener);
    if (set?.size === 0) this.listeners.delete(id);
    if (this.listeners.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.read(), delayMs);
    // Watching never keeps the process alive on its own.
    this.timer.unref();
  }

  private async read(): Promise<void> {
    this.timer = undefined;
    const ids = [...this.listeners.keys()];
    if (ids.length === 0) return;
    this.reading = true;
    try {
      const values = await this.options.readMany(ids);
      for (const id of ids) {
        for (const listener of this.listeners.get(id) ?? []) listener(values.get(id) ?? null);
      }
    } catch (error) {
      // A failed read is retried at the next interval; subscribers see nothing new meanwhile.
      this.options.onError(error);
    } finally {
      this.reading = false;
      if (this.listeners.size > 0) this.schedule(this.options.intervalMs);
    }
  }
}

/** Splits ids into chunks a single `IN (...)` can take on every supported database. */
export function chunks<T>(items: T[], size = 500): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** A stream that ends at once: what a subscriber gets for a record it may not see. */
// eslint-disable-next-line require-yield, @typescript-eslint/require-await -- yields nothing
export async function* nothing<T>(): AsyncGenerator<T> {
  return;
}
