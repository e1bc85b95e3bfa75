import { randomBytes } from 'node:crypto';

/** A name no other test (or run) uses: for task queues, site names, host names. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
