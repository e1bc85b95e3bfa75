import { DirectoryError } from '../../../activities/directory/errors';
import { type Directory } from '../../../activities/directory/port';

/**
 * The directory could not say which groups a caller belongs to. Requests then fail with 503
 * rather than go on with no groups: a caller who is an operator or a group admin would otherwise
 * be told, wrongly, that they may not do what they ask.
 */
export class MembershipsUnavailableError extends Error {
  constructor(options?: ErrorOptions) {
    super('the directory could not be asked for group memberships', options);
    this.name = 'MembershipsUnavailableError';
  }
}

export interface MembershipsOptions {
  /** How long an answer is reused; 0 asks the directory on every request. */
  ttlMs: number;
  /** Most users remembered at once; the oldest answers go first. Default 10,000. */
  maxEntries?: number;
  /** Milliseconds since the epoch; a test's clock. */
  now?: () => number;
}

interface Entry {
  groups: readonly string[];
  expiresAt: number;
}

/**
 * Which directory groups each caller belongs to, as the api authorises them: read from the
 * directory (never from a token's own claims), so that removing someone from a group takes their
 * group roles and operator powers away within `ttlMs`, however long their token lives.
 *
 * Answers are remembered for `ttlMs` so that a busy caller costs one directory lookup per period;
 * concurrent requests of one user share one lookup; failures are not remembered.
 */
export class DirectoryMemberships {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<readonly string[]>>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly directory: Directory,
    private readonly options: MembershipsOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Sorted group names of the user; MembershipsUnavailableError when the directory fails. */
  async groupsOf(uid: string): Promise<readonly string[]> {
    const cached = this.entries.get(uid);
    if (cached && cached.expiresAt > this.now()) return cached.groups;
    let lookup = this.pending.get(uid);
    if (!lookup) {
      lookup = this.lookUp(uid).finally(() => this.pending.delete(uid));
      this.pending.set(uid, lookup);
    }
    return lookup;
  }

  /** Forgets every answer (tests, and an operator who has just changed the directory). */
  clear(): void {
    this.entries.clear();
  }

  private async lookUp(uid: string): Promise<readonly string[]> {
    let groups: readonly string[];
    try {
      groups = Object.freeze(await this.directory.groupsOf(uid));
    } catch (error) {
      if (error instanceof DirectoryError) throw new MembershipsUnavailableError({ cause: error });
      throw error;
    }
    if (this.options.ttlMs > 0) this.remember(uid, groups);
    return groups;
  }

  private remember(uid: string, groups: readonly string[]): void {
    // A Map iterates in insertion order: deleting first makes this entry the newest.
    this.entries.delete(uid);
    this.entries.set(uid, { groups, expiresAt: this.now() + this.options.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
