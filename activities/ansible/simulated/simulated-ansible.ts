import { setTimeout as delay } from 'node:timers/promises';
import { type Ansible, type ConfigurationTarget, type RunSummary } from '../port';

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

  async configure(
    target: ConfigurationTarget,
    onProgress: (task: string) => void,
  ): Promise<RunSummary> {
    for (const task of tasks) {
      onProgress(task);
      await delay(this.taskDelayMs);
    }
    const first = !this.configured.has(target.vmId);
    this.configured.add(target.vmId);
    return { ok: tasks.length, changed: first ? tasks.length : 0 };
  }
}
