import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import { projectRoot } from '../../../libs/temporal/temporal-cli';

/** Where scripts/setup installs ansible, relative to the project root, in the order tried. */
export const projectAnsiblePlaybookPaths = [
  'tools/ansible-venv/bin/ansible-playbook',
  'tools/venv/bin/ansible-playbook',
] as const;

/**
 * The `ansible-playbook` to run: the configured path (or name, looked up on PATH), else the
 * project's venv, else PATH. Undefined when there is none.
 */
export function findAnsiblePlaybook(
  options: { configured?: string; pathEnv?: string; root?: string } = {},
): string | undefined {
  const onPath = (name: string) =>
    (options.pathEnv ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, name))
      .find(isExecutable);
  const configured = options.configured;
  if (configured) {
    if (!configured.includes('/')) return onPath(configured);
    return isExecutable(configured) ? configured : undefined;
  }
  const root = options.root ?? projectRoot();
  return (
    projectAnsiblePlaybookPaths.map((path) => join(root, path)).find(isExecutable) ??
    onPath('ansible-playbook')
  );
}

/** The repository's playbook for a site's server. */
export function defaultPlaybook(): string {
  return join(projectRoot(), 'ansible', 'site.yml');
}

/** The repository's playbook for an in-place OS upgrade. */
export function upgradePlaybook(): string {
  return join(projectRoot(), 'ansible', 'upgrade.yml');
}

/** The folder of Berth's callback plugin (berth_events). */
export function callbackPluginFolder(): string {
  return join(projectRoot(), 'ansible', 'plugins', 'callback');
}

/** The ansible.cfg beside a playbook, when there is one. */
export function ansibleConfigFor(playbook: string): string | undefined {
  const path = join(dirname(playbook), 'ansible.cfg');
  return existsSync(path) ? path : undefined;
}

/**
 * The operator's connection variables for every server (BERTH_ANSIBLE_HOST_VARS): a YAML or JSON
 * mapping. Read once, when the adapter starts, so a bad file stops the worker at start-up.
 */
export function readHostVars(path: string | undefined): Record<string, unknown> {
  if (path === undefined) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `BERTH_ANSIBLE_HOST_VARS: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    // Not the parser's message: it quotes the line, which may hold a password.
    const line = error instanceof YAMLParseError ? ` at line ${error.linePos?.[0].line}` : '';
    throw new Error(`BERTH_ANSIBLE_HOST_VARS: ${path} is not YAML or JSON${line}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`BERTH_ANSIBLE_HOST_VARS: ${path} must hold a mapping of variables`);
  }
  return value as Record<string, unknown>;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
