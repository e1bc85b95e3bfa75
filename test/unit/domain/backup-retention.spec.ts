import { describe, expect, it } from 'vitest';
import {
  backupName,
  backupsToKeep,
  isBackupName,
  isoWeekOf,
  nextBackupAt,
} from '../../../libs/domain/backup-retention';

/** `count` consecutive dates ending on `last`, oldest first. */
function consecutiveDays(last: string, count: number): string[] {
  const end = new Date(`${last}T00:00:00Z`).getTime();
  return Array.from({ length: count }, (_, i) =>
    backupName(new Date(end - (count - 1 - i) * 86_400_000)),
  );
}

function sorted(keep: Set<string>): string[] {
  return [...keep].sort();
}

describe(backupName.name, () => {
  it('is the UTC date of the moment', () => {
    expect(backupName(new Date('2026-12-05T02:00:00Z'))).toBe('2026-12-05');
    expect(backupName(new Date('2026-12-05T23:30:00-02:00'))).toBe('2026-12-06');
    expect(backupName(new Date('2026-12-31T23:59:59.999Z'))).toBe('2026-12-31');
  });
});

describe(isBackupName.name, () => {
  it.each(['2026-12-05', '2024-02-29', '2027-01-01'])('takes %s', (name) => {
    expect(isBackupName(name)).toBe(true);
  });

  it.each(['', 'nightly', '2026-1-05', '2026-12-5', '2026-13-01', '2026-02-29', '2026-12-32'])(
    'refuses %j',
    (name) => {
      expect(isBackupName(name)).toBe(false);
    },
  );

  it('refuses a date with anything around it', () => {
    expect(isBackupName(' 2026-12-05')).toBe(false);
    expect(isBackupName('2026-12-05\n')).toBe(false);
    expect(isBackupName('2026-12-05-manual')).toBe(false);
  });
});

describe(isoWeekOf.name, () => {
  it('names a week by its Monday', () => {
    expect(isoWeekOf('2026-12-14')).toBe('2026-12-14');
    expect(isoWeekOf('2026-12-20')).toBe('2026-12-14');
    expect(isoWeekOf('2026-12-21')).toBe('2026-12-21');
  });

  it('keeps ISO week 53 whole across the year end', () => {
    // 2026 starts on a Thursday: its week 53 runs from Monday 28 December to Sunday 3 January.
    for (const date of ['2026-12-28', '2026-12-31', '2027-01-01', '2027-01-03']) {
      expect(isoWeekOf(date)).toBe('2026-12-28');
    }
    expect(isoWeekOf('2027-01-04')).toBe('2027-01-04');
    // Week 1 of 2025 starts in 2024.
    expect(isoWeekOf('2025-01-01')).toBe('2024-12-30');
  });
});

describe(backupsToKeep.name, () => {
  it('keeps nothing of nothing', () => {
    expect(backupsToKeep([], { keepDaily: 7, keepWeekly: 4 }).size).toBe(0);
  });

  it('keeps the most recent dates that have a backup, whatever the gaps between them', () => {
    const dates = ['2026-10-01', '2026-11-15', '2026-12-01', '2026-12-09', '2026-12-10'];
    expect(sorted(backupsToKeep(dates, { keepDaily: 3, keepWeekly: 0 }))).toEqual([
      '2026-12-01',
      '2026-12-09',
      '2026-12-10',
    ]);
  });

  it('does not depend on the order it is given the dates in', () => {
    const dates = consecutiveDays('2026-12-20', 20);
    const policy = { keepDaily: 5, keepWeekly: 3 };
    expect(sorted(backupsToKeep([...dates].reverse(), policy))).toEqual(
      sorted(backupsToKeep(dates, policy)),
    );
    expect(
      sorted(backupsToKeep([dates[7]!, ...dates.slice(8), ...dates.slice(0, 7)], policy)),
    ).toEqual(sorted(backupsToKeep(dates, policy)));
  });

  it('counts a date given twice once', () => {
    const dates = ['2026-12-10', '2026-12-10', '2026-12-09', '2026-12-09', '2026-12-08'];
    expect(sorted(backupsToKeep(dates, { keepDaily: 2, keepWeekly: 0 }))).toEqual([
      '2026-12-09',
      '2026-12-10',
    ]);
  });

  it('keeps all when there are fewer than the policy keeps', () => {
    const dates = ['2026-12-08', '2026-12-09', '2026-12-10'];
    expect(sorted(backupsToKeep(dates, { keepDaily: 7, keepWeekly: 4 }))).toEqual(dates);
  });

  it('keeps no weekly backups when keepWeekly is 0', () => {
    const dates = consecutiveDays('2026-12-20', 40);
    expect(sorted(backupsToKeep(dates, { keepDaily: 7, keepWeekly: 0 }))).toEqual(
      consecutiveDays('2026-12-20', 7),
    );
  });

  it('keeps the newest backup of each recent week', () => {
    const dates = consecutiveDays('2026-12-20', 21);
    expect(sorted(backupsToKeep(dates, { keepDaily: 1, keepWeekly: 3 }))).toEqual([
      '2026-12-06', // Sunday of the week of 30 November (its Monday is not among the dates)
      '2026-12-13',
      '2026-12-20',
    ]);
  });

  it('starts a new week on Monday', () => {
    const dates = ['2026-12-19', '2026-12-20', '2026-12-21'];
    // Saturday and Sunday are one week, Monday the next: Sunday is its week's newest.
    expect(sorted(backupsToKeep(dates, { keepDaily: 1, keepWeekly: 2 }))).toEqual([
      '2026-12-20',
      '2026-12-21',
    ]);
  });

  it('counts only the weeks that have a backup', () => {
    // Nothing in the three weeks before 14 December: the second week kept is November's.
    const dates = ['2026-11-18', '2026-11-20', '2026-12-15', '2026-12-16'];
    expect(sorted(backupsToKeep(dates, { keepDaily: 1, keepWeekly: 2 }))).toEqual([
      '2026-11-20',
      '2026-12-16',
    ]);
  });

  it('keeps ISO week 53 as one week across the year end', () => {
    const dates = ['2026-12-27', '2026-12-28', '2026-12-31', '2027-01-02', '2027-01-04'];
    expect(sorted(backupsToKeep(dates, { keepDaily: 1, keepWeekly: 2 }))).toEqual([
      '2027-01-02',
      '2027-01-04',
    ]);
    expect(sorted(backupsToKeep(dates, { keepDaily: 1, keepWeekly: 3 }))).toEqual([
      '2026-12-27',
      '2027-01-02',
      '2027-01-04',
    ]);
  });

  it('keeps a week that starts in one year and ends in the next once (2020–2021)', () => {
    const dates = ['2020-12-28', '2020-12-31', '2021-01-01', '2021-01-03'];
    expect(sorted(backupsToKeep(dates, { keepDaily: 0, keepWeekly: 4 }))).toEqual(['2021-01-03']);
  });

  it('keeps exactly 7 daily backups and the older weeks’ newest of 40 consecutive days', () => {
    // 11 November to Sunday 20 December 2026.
    const dates = consecutiveDays('2026-12-20', 40);
    expect(dates[0]).toBe('2026-11-11');
    const keep = backupsToKeep(dates, { keepDaily: 7, keepWeekly: 4 });
    expect(sorted(keep)).toEqual([
      '2026-11-29',
      '2026-12-06',
      '2026-12-13',
      '2026-12-14',
      '2026-12-15',
      '2026-12-16',
      '2026-12-17',
      '2026-12-18',
      '2026-12-19',
      '2026-12-20',
    ]);
  });

  it('lets a daily backup count as its week’s newest too', () => {
    // Ending on a Wednesday: the daily seven reach back into the week before.
    const dates = consecutiveDays('2026-12-16', 40);
    expect(sorted(backupsToKeep(dates, { keepDaily: 7, keepWeekly: 4 }))).toEqual([
      '2026-11-29',
      '2026-12-06',
      '2026-12-10',
      '2026-12-11',
      '2026-12-12',
      '2026-12-13',
      '2026-12-14',
      '2026-12-15',
      '2026-12-16',
    ]);
  });

  it('always keeps the newest backup', () => {
    const dates = consecutiveDays('2026-12-20', 10);
    for (const keepDaily of [0, 1, 3]) {
      for (const keepWeekly of [0, 1, 5]) {
        const keep = backupsToKeep(dates, { keepDaily, keepWeekly });
        expect(keep.has('2026-12-20')).toBe(true);
        expect(keep.size).toBeGreaterThan(0);
      }
    }
    expect(sorted(backupsToKeep(dates, { keepDaily: 0, keepWeekly: 0 }))).toEqual(['2026-12-20']);
    expect(sorted(backupsToKeep(['2026-12-01'], { keepDaily: 0, keepWeekly: 0 }))).toEqual([
      '2026-12-01',
    ]);
  });

  it('keeps only dates it was given', () => {
    const dates = ['2026-09-02', '2026-10-14', '2026-11-30', '2026-12-03'];
    for (const date of backupsToKeep(dates, { keepDaily: 2, keepWeekly: 10 })) {
      expect(dates).toContain(date);
    }
  });

  it('refuses a name that is not a date', () => {
    expect(() => backupsToKeep(['2026-12-01', 'nightly'], { keepDaily: 1, keepWeekly: 1 })).toThrow(
      RangeError,
    );
  });
});

describe('nextBackupAt', () => {
  const at = (text: string) => Date.parse(text);
  const twoAm = { secondOfDay: 2 * 3600, spreadSeconds: 0 };

  it('is later today when the time has not come, tomorrow when it has', () => {
    expect(nextBackupAt(at('2026-12-05T01:00:00Z'), twoAm, 'a')).toBe(at('2026-12-05T02:00:00Z'));
    expect(nextBackupAt(at('2026-12-05T02:00:00Z'), twoAm, 'a')).toBe(at('2026-12-06T02:00:00Z'));
    expect(nextBackupAt(at('2026-12-31T23:59:59Z'), twoAm, 'a')).toBe(at('2027-01-01T02:00:00Z'));
  });

  it('gives each site its own time within the spread, the same every night', () => {
    const spread = { secondOfDay: 2 * 3600, spreadSeconds: 3600 };
    const times = ['site-a', 'site-b', 'site-c', 'site-d'].map(
      (site) => nextBackupAt(at('2026-12-05T00:00:00Z'), spread, site) - at('2026-12-05T02:00:00Z'),
    );
    for (const offset of times) {
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(3600_000);
    }
    expect(new Set(times).size).toBeGreaterThan(1);
    const first = nextBackupAt(at('2026-12-05T00:00:00Z'), spread, 'site-a');
    expect(nextBackupAt(first, spread, 'site-a')).toBe(first + 86_400_000);
  });

  it('wraps a spread past midnight into the early morning', () => {
    const late = { secondOfDay: 23 * 3600 + 59 * 60, spreadSeconds: 3600 };
    const due = nextBackupAt(at('2026-12-05T12:00:00Z'), late, 'site-a');
    expect(due).toBeGreaterThan(at('2026-12-05T12:00:00Z'));
    expect(due - at('2026-12-05T12:00:00Z')).toBeLessThanOrEqual(86_400_000);
  });
});
