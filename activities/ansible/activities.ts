import { Context } from '@temporalio/activity';
import { failure } from '../../libs/failures';
import { type Ansible, type ConfigurationTarget, type RunSummary } from './port';

/**
 * Configuration activities. `configureServer` heartbeats the current task, so a run whose worker
 * died is retried promptly, and stops when the workflow cancels it.
 */
export function createAnsibleActivities(deps: { ansible: Ansible }) {
  async function configureServer(target: ConfigurationTarget): Promise<RunSummary> {
    const context = Context.current();
    try {
      return await deps.ansible.configure(target, (task) => context.heartbeat({ task }));
    } catch (error) {
      throw failure('ConfigurationFailed', `configuring ${target.hostname} failed`, {
        cause: error instanceof Error ? error : undefined,
      });
    }
  }
  return { configureServer };
}

export type AnsibleActivities = ReturnType<typeof createAnsibleActivities>;
