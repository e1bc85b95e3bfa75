import { setTimeout as delay } from 'node:timers/promises';
import { type Ansible, type ConfigurationRequest, type RunControl, type RunReport } from '../port';

/** The tasks a real run reports, in order; the simulation walks through them. */
const tasks = ['common', 'access', 'web', 'php', 'mysql', 'backups', 'metrics'] as const;

/**
 * The `simulated` configuration adapter of the embedded profile: reports the playbook's tasks as
 * progress and changes nothing anywhere. The first run of a server reports every task changed,
 * later runs none, as an idempotent playbook would.
 */
export class SimulatedAnsible implements Ansible {
  readonly name = 'simulated';
  private readonly configured = new Set<string>();

  constructor(private readonly taskDelayMs = 5) {}

  async configure({ target }: ConfigurationRequest, control: RunControl): Promise<RunReport> {
    const first = !this.configured.has(target.vmId);
    const lines: string[] = [];
    for (const task of tasks) {
      control.signal?.throwIfAborted();
      control.onProgress(task);
      lines.push(`${first ? 'changed' : 'ok'}: [${target.hostname}] ${task} (simulated)`);
      await delay(this.taskDelayMs, undefined, { signal: control.signal });
    }
    this.configured.add(target.vmId);
    const changed = first ? tasks.length : 0;
    lines.push(`${target.hostname}: ok=${tasks.length} changed=${changed} (simulated run)`);
    return {
      ok: tasks.length,
      changed,
      failed: 0,
      unreachable: 0,
      output: `${lines.join('\n')}\n`,
    };
  }
}
