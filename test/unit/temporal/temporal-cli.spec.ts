import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  TemporalCliNotFoundError,
  findTemporalCli,
  requireTemporalCli,
} from '../../../libs/temporal/temporal-cli';

let root: string;

/** A fake CLI at `path` under the test's folder; executable unless told otherwise. */
function fakeCli(path: string, mode = 0o755): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, mode);
  return file;
}

/** An empty folder under the test's folder, for a PATH entry or a project root. */
function folder(path: string): string {
  const dir = join(root, path);
  mkdirSync(dir, { recursive: true });
  return dir;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-temporal-cli-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe(findTemporalCli.name, () => {
  it('prefers the configured path over PATH and the project', () => {
    const configured = fakeCli('configured/temporal');
    fakeCli('bin/temporal');
    fakeCli('project/tools/venv/bin/temporal');
    expect(
      findTemporalCli({
        configured,
        pathEnv: folder('bin'),
        projectRoot: folder('project'),
      }),
    ).toBe(configured);
  });

  it('returns a relative configured path as an absolute one', () => {
    const configured = fakeCli('configured/temporal');
    expect(findTemporalCli({ configured: relative(process.cwd(), configured) })).toBe(configured);
  });

  it('prefers PATH over the project tools folder', () => {
    const onPath = fakeCli('bin/temporal');
    fakeCli('project/tools/venv/bin/temporal');
    expect(findTemporalCli({ pathEnv: folder('bin'), projectRoot: folder('project') })).toBe(
      onPath,
    );
  });

  it('takes the first PATH entry that holds an executable CLI', () => {
    fakeCli('first/temporal', 0o644);
    const second = fakeCli('second/temporal');
    fakeCli('third/temporal');
    const pathEnv = [folder('empty'), folder('first'), folder('second'), folder('third')].join(
      delimiter,
    );
    expect(findTemporalCli({ pathEnv, projectRoot: folder('project') })).toBe(second);
  });

  it('prefers tools/venv over tools/go', () => {
    const venv = fakeCli('project/tools/venv/bin/temporal');
    fakeCli('project/tools/go/bin/temporal');
    expect(findTemporalCli({ pathEnv: folder('bin'), projectRoot: folder('project') })).toBe(venv);
  });

  it('falls back to tools/go', () => {
    const go = fakeCli('project/tools/go/bin/temporal');
    expect(findTemporalCli({ pathEnv: folder('bin'), projectRoot: folder('project') })).toBe(go);
  });

  it('treats an empty configured path as unset', () => {
    const onPath = fakeCli('bin/temporal');
    expect(
      findTemporalCli({ configured: '', pathEnv: folder('bin'), projectRoot: folder('project') }),
    ).toBe(onPath);
  });

  it.each([
    ['is not executable', () => fakeCli('configured/temporal', 0o644)],
    ['does not exist', () => join(root, 'configured/missing')],
  ])('finds nothing when the configured path %s', (_case, configuredPath) => {
    const configured = configuredPath();
    fakeCli('bin/temporal');
    fakeCli('project/tools/venv/bin/temporal');
    // An explicit TEMPORAL_CLI that is wrong is an error to report, not a hint to ignore: quietly
    // running some other temporal from PATH would hide the mistake and may run another version.
    expect(
      findTemporalCli({ configured, pathEnv: folder('bin'), projectRoot: folder('project') }),
    ).toBeUndefined();
  });

  it('ignores a project CLI that is not executable', () => {
    fakeCli('project/tools/venv/bin/temporal', 0o644);
    const go = fakeCli('project/tools/go/bin/temporal');
    expect(findTemporalCli({ pathEnv: folder('bin'), projectRoot: folder('project') })).toBe(go);
  });
});

describe(requireTemporalCli.name, () => {
  it('returns the CLI it finds', () => {
    const venv = fakeCli('project/tools/venv/bin/temporal');
    expect(requireTemporalCli({ pathEnv: '', projectRoot: folder('project') })).toBe(venv);
  });

  it('throws a one-line error pointing at scripts/setup when there is no CLI', () => {
    let thrown: unknown;
    try {
      requireTemporalCli({ pathEnv: folder('bin'), projectRoot: folder('project') });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TemporalCliNotFoundError);
    const message = (thrown as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('scripts/setup');
    expect(message).toContain('TEMPORAL_CLI');
  });

  it('throws when the configured path is wrong, even though PATH has a CLI', () => {
    fakeCli('bin/temporal');
    expect(() =>
      requireTemporalCli({
        configured: join(root, 'configured/missing'),
        pathEnv: folder('bin'),
        projectRoot: folder('project'),
      }),
    ).toThrow(TemporalCliNotFoundError);
  });

  it('names the configured path that is wrong', () => {
    const configured = join(root, 'configured/missing');
    expect(() => requireTemporalCli({ configured, pathEnv: '', projectRoot: folder('p') })).toThrow(
      `TEMPORAL_CLI=${configured} is not an executable file`,
    );
  });
});

describe('a folder named temporal', () => {
  it('is not taken for the CLI', () => {
    folder('bin/temporal');
    const next = fakeCli('later/temporal');
    const pathEnv = [join(root, 'bin'), join(root, 'later')].join(delimiter);
    expect(findTemporalCli({ pathEnv, projectRoot: folder('project') })).toBe(next);
  });
});
