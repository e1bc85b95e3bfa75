/**
 * Nightly backups are hypervisor snapshots named by their UTC date (`YYYY-MM-DD`), which is why
 * custom snapshot names may not be dates (snapshot-names.ts). Pure, so that workflows, activities
 * and tests share one definition of which backups a site keeps.
 */

const namePattern = /^\d{4}-\d{2}-\d{2}$/;
const dayMs = 86_400_000;

export interface BackupPolicy {
  /** The most recent days with a backup that keep it. */
  keepDaily: number;
  /** The most recent ISO weeks with a backup that keep their newest one as well. */
  keepWeekly: number;
}

/** The name of a backup taken at `at`: its UTC date. */
export function backupName(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Whether `name` is a backup's name: a real calendar date written `YYYY-MM-DD`. */
export function isBackupName(name: string): boolean {
  if (!namePattern.test(name)) return false;
  const day = new Date(`${name}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && backupName(day) === name;
}

/**
 * The backups a policy keeps of those dated `dates`: the `keepDaily` most recent dates, plus the
 * newest backup of each of the `keepWeekly` most recent ISO weeks (Monday to Sunday, UTC) that
 * have one. Counted over dates that have a backup, not calendar days, so missed nights cost no
 * history. The newest backup is always kept, whatever the policy. A date that is not a backup
 * name is a caller's bug and throws.
 */
export function backupsToKeep(dates: string[], policy: BackupPolicy): Set<string> {
  for (const date of dates) {
    if (!isBackupName(date)) throw new RangeError(`${date} is not a backup name (YYYY-MM-DD)`);
  }
  // Newest first; the names sort as the dates do.
  const newestFirst = [...new Set(dates)].sort().reverse();
  const keep = new Set(newestFirst.slice(0, Math.max(1, policy.keepDaily)));
  const weeks = new Set<string>();
  for (const date of newestFirst) {
    if (weeks.size >= policy.keepWeekly) break;
    const week = isoWeekOf(date);
    if (weeks.has(week)) continue;
    // The first date met in a week is its newest.
    weeks.add(week);
    keep.add(date);
  }
  return keep;
}

/** The ISO week a date falls in, named by its Monday (which is unique across year ends too). */
export function isoWeekOf(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return backupName(new Date(day.getTime() - sinceMonday * dayMs));
}

/**
 * When a site's next nightly backup is due after `nowMs`: `secondOfDay` (UTC) plus the site's own
 * offset within the spread, the same every night, so a fleet's backups do not all start at once.
 * Pure and deterministic, for the site workflow's timer.
 */
export function nextBackupAt(
  nowMs: number,
  schedule: { secondOfDay: number; spreadSeconds: number },
  siteId: string,
): number {
  let offset = 0;
  if (schedule.spreadSeconds > 0) {
    for (const char of siteId) offset = (offset * 31 + char.charCodeAt(0)) % schedule.spreadSeconds;
  }
  const secondOfDay = (schedule.secondOfDay + offset) % 86_400;
  const due = Math.floor(nowMs / dayMs) * dayMs + secondOfDay * 1000;
  return due > nowMs ? due : due + dayMs;
}
