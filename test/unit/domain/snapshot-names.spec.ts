import { describe, expect, it } from 'vitest';
import { snapshotNameProblem } from '../../../libs/domain/snapshot-names';

describe(snapshotNameProblem.name, () => {
  it.each(['a', 'before-upgrade', '2026-12-04-manual', 'x'.repeat(50)])('takes %s', (name) => {
    expect(snapshotNameProblem(name)).toBeUndefined();
  });

  it.each(['', '-a', 'a-', 'Before', 'a b', '../x', 'a_b', 'x'.repeat(51), '{{ x }}', 'é'])(
    'refuses %j',
    (name) => {
      expect(snapshotNameProblem(name)).toMatch(/lower-case/);
    },
  );

  it('keeps dated names for backups', () => {
    expect(snapshotNameProblem('2026-12-04')).toMatch(/backups/);
  });
});
