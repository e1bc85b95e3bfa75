import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { type SiteInput, siteWorkflowType } from '../../workflows/site.messages';
import { type BerthConfig } from '../config';
import { searchAttributes, siteWorkflowId } from './names';

/** What starting a site's workflow needs to know of the site. */
export interface SiteToStart {
  id: string;
  owner: string;
  hostnameLabel: string | null;
}

/**
 * How long starting a site's workflow, or asking whether it exists, may take: without a deadline
 * a call to a Temporal server that does not answer is retried for minutes. The repair's wait
 * (workflows/repair-site-requests.ts) is many times this.
 */
export const siteStartDeadlineMs = 10_000;

/**
 * Starts a requested site's entity workflow, or joins it if it is running: the api right after
 * writing the site's rows, and the `site-request-repair` schedule for a request whose api stopped
 * before it got that far. A workflow that has closed is left closed.
 */
export async function startSiteWorkflow(
  client: Client,
  config: BerthConfig,
  site: SiteToStart,
  provisionOperationId: string,
): Promise<void> {
  try {
    await within(client, () =>
      client.workflow.start(siteWorkflowType, {
        taskQueue: config.temporal.taskQueue,
        workflowId: siteWorkflowId(site.id),
        args: [siteWorkflowInput(config, site, provisionOperationId)],
        // A repeated start joins the running workflow instead of failing or starting another.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: searchAttributes.siteId, value: site.id },
          { key: searchAttributes.owner, value: site.owner },
          { key: searchAttributes.status, value: 'requested' },
        ],
      }),
    );
  } catch (error) {
    // Closed earlier: the site's workflow has run, which is what a repeat asks for.
    if (error instanceof WorkflowExecutionAlreadyStartedError) return;
    throw error;
  }
}

/** Whether the site's workflow is running, has closed, or was never started (or is forgotten). */
export async function siteWorkflowState(
  client: Client,
  siteId: string,
): Promise<'running' | 'closed' | 'none'> {
  try {
    const description = await within(client, () =>
      client.workflow.getHandle(siteWorkflowId(siteId)).describe(),
    );
    return description.status.name === 'RUNNING' ? 'running' : 'closed';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'none';
    throw error;
  }
}

function within<T>(client: Client, call: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + siteStartDeadlineMs, call);
}

/** The site workflow's input, from the configuration (sizes, timeouts, pool, upgrades, backups). */
export function siteWorkflowInput(
  config: BerthConfig,
  site: SiteToStart,
  provisionOperationId: string,
): SiteInput {
  return {
    siteId: site.id,
    owner: site.owner,
    hostnameLabel: site.hostnameLabel,
    provisionOperationId,
    size: {
      cpus: config.provisioning.cpus,
      memoryMb: config.provisioning.memoryMb,
      diskGb: config.provisioning.diskGb,
    },
    installTimeoutSeconds: config.provisioning.installTimeoutSeconds,
    cancellationGraceSeconds: config.provisioning.cancellationGraceSeconds,
    continueAsNewAfterEvents: config.provisioning.siteHistoryLimit,
    pool: defaultPool(config),
    upgradeWait: {
      approvalSeconds: config.os.approvalSeconds,
      reminderSeconds: config.os.reminderSeconds,
    },
    ...(config.backups.secondOfDay === null
      ? {}
      : {
          backups: {
            secondOfDay: config.backups.secondOfDay,
            spreadSeconds: config.backups.spreadSeconds,
          },
        }),
  };
}

/** New sites use the first configured image, whose pool they draw from if it has one. */
export function defaultPool(config: BerthConfig): SiteInput['pool'] {
  const [first] = config.pool.targets;
  return first && first.size > 0
    ? {
        image: first.image,
        target: first.size,
        refillSettleSeconds: config.pool.refillSettleSeconds,
      }
    : undefined;
}
