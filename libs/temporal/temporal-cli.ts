import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** Where the set-up script installs the Temporal CLI, relative to the project root. */
export const projectCliPaths = ['tools/venv/bin/temporal', 'tools/go/bin/temporal'] as const;

export class TemporalCliNotFoundError extends Error {
  constructor(configured?: string) {
    super(
      configured
        ? `Temporal CLI not found: TEMPORAL_CLI=${configured} is not an executable file`
        : 'Temporal CLI not found: set TEMPORAL_CLI, put `temporal` on PATH, or run scripts/setup to install it into tools/',
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

/**
 * Finds the Temporal CLI: TEMPORAL_CLI, then PATH, then the project's tools folder. Returns
 * undefined when none is there; `requireTemporalCli` throws a one-line error instead.
 */
export function findTemporalCli(
  options: { configured?: string; pathEnv?: string; projectRoot?: string } = {},
): string | undefined {
  const configured = options.configured;
  if (configured !== undefined && configured !== '') {
    return isExecutable(configured) ? resolve(configured) : undefined;
  }
  for (const dir of (options.pathEnv ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'temporal');
    if (isExecutable(candidate)) return candidate;
  }
  const root = options.projectRoot ?? projectRoot();
  for (const relative of projectCliPaths) {
    const candidate = join(root, relative);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function requireTemporalCli(options: Parameters<typeof findTemporalCli>[0] = {}): string {
  const found = findTemporalCli(options);
  if (found === undefined) throw new TemporalCliNotFoundError(options.configured || undefined);
  return found;
}

/** The repository root: two levels above libs/temporal (also from dist/libs/temporal). */
export function projectRoot(): string {
  const up = __dirname.includes(`${join('dist', 'libs')}`) ? '../../..' : '../..';
  return resolve(__dirname, up);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
