/**
 * Names of the snapshots site admins take (MWS3's custom snapshots): a lower-case slug of at most
 * 50 characters that is not a date, since dated names belong to the nightly backups. Pure, so
 * that the site workflow's validator can use it too.
 */
export const snapshotNamePattern = /^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;

/** At most this many snapshots per site unless configured otherwise (MWS3 allowed 2). */
export const defaultSnapshotsPerSite = 2;

/** Why a snapshot name cannot be used, or undefined when it can. */
export function snapshotNameProblem(name: string): string | undefined {
  if (!snapshotNamePattern.test(name)) {
    return 'a snapshot name is 1 to 50 lower-case letters, digits and hyphens, not starting or ending with a hyphen';
  }
  if (datePattern.test(name)) return 'dated names (YYYY-MM-DD) are kept for backups';
  if (name.startsWith('berth-')) return 'names starting berth- are kept for Berth’s own snapshots';
  return undefined;
}
