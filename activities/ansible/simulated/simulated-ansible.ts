import { setTimeout as delay } from 'node:timers/promises';
import {
  type Ansible,
  type ConfigurationRequest,
  type RunControl,
  type RunReport,
  type UpgradeRequest,
} from '../port';

/** The tasks a real run reports, in order; the simulation walks through them. */
const tasks = ['common', 'access', 'web', 'php', 'mysql', 'backups', 'metrics'] as const;

/** The os_upgrade role's steps (ansible/roles/os_upgrade), as an upgrade reports them. */
const upgradeTasks = [
  'os_upgrade : Point APT at the release',
  'os_upgrade : Upgrade every package to the release',
  'os_upgrade : Record the release',
] as const;

/**
 * The `simulated` configuration adapter of the embedded profile: reports the playbook's tasks as
 * progress and changes nothing anywhere. The first run of a server reports every task changed,
 * later runs none, as an idempotent playbook would; so does an upgrade to the release a server was
 * last upgraded to.
 */
export class SimulatedAnsible implements Ansible {
  readonly name = 'simulated';
  private readonly configured = new Set<string>();
  /** Server → the release it was last upgraded to. */
  private readonly releases = new Map<string, string>();

  constructor(private readonly taskDelayMs = 5) {}

  async configure({ target }: ConfigurationRequest, control: RunControl): Promise<RunReport> {
    const first = !this.configured.has(target.vmId);
    const report = await this.walk(tasks, target.hostname, first, control);
    this.configured.add(target.vmId);
    return report;
  }

  async upgrade({ target, release }: UpgradeRequest, control: RunControl): Promise<RunReport> {
    const first = this.releases.get(target.vmId) !== release;
    const report = await this.walk(upgradeTasks, target.hostname, first, control, release);
    this.releases.set(target.vmId, release);
    return report;
  }

  /** Reports each task as progress, one delay apart; all changed when `changed`, else none. */
  private async walk(
    names: readonly string[],
    hostname: string,
    changed: boolean,
    control: RunControl,
    release?: string,
  ): Promise<RunReport> {
    const lines: string[] = [];
    const note = release === undefined ? '(simulated)' : `(simulated, release ${release})`;
    for (const task of names) {
      control.signal?.throwIfAborted();
      control.onProgress(task);
      lines.push(`${changed ? 'changed' : 'ok'}: [${hostname}] ${task} ${note}`);
      await delay(this.taskDelayMs, undefined, { signal: control.signal });
    }
    const changedCount = changed ? names.length : 0;
    const run = release === undefined ? 'simulated run' : `simulated upgrade to ${release}`;
    lines.push(`${hostname}: ok=${names.length} changed=${changedCount} (${run})`);
    return {
      ok: names.length,
      changed: changedCount,
      failed: 0,
      unreachable: 0,
      output: `${lines.join('\n')}\n`,
    };
  }
}
