import { directoryNamePattern } from '../../libs/auth/principal';
import { DirectoryError } from './errors';
import { maxSearchLimit, maxSearchTextLength } from './port';

/** A uid or group name the Directory port may look up (see port.ts for why others find nobody). */
export function isDirectoryName(value: unknown): value is string {
  return typeof value === 'string' && directoryNamePattern.test(value);
}

/**
 * Whether `text` may be searched for: non-empty, bounded, without control characters (NUL among
 * them, which C-based servers and tools treat as the end of the string).
 */
export function isSearchText(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= maxSearchTextLength &&
    !/\p{Cc}/u.test(value)
  );
}

/** Throws DirectoryInvalidRequest unless `limit` is an integer from 1 to maxSearchLimit. */
export function checkSearchLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > maxSearchLimit) {
    throw new DirectoryError(
      'DirectoryInvalidRequest',
      `a search limit must be an integer from 1 to ${maxSearchLimit}, got ${String(limit)}`,
    );
  }
}

/** Sorted and without duplicates: the form every list the port returns takes. */
export function sortedNames(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}
