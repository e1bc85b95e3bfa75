import {
  type ActivityInterfaceFor,
  type ActivityOptions,
  type LocalActivityOptions,
  patched,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import { nonRetryableFailureTypes } from '../libs/failures';
import { ansibleTaskQueue } from '../libs/temporal/names';

/**
 * Proxy option sets, one per latency class, so every activity call states how long it may take and
 * how it is retried.
 */
const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: nonRetryableFailureTypes,
} as const;

/** Database projections and allocations: quick, retried until they succeed or fail for good. */
export const quickCall: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { ...retry, maximumAttempts: 20 },
};

/**
 * The same calls as local activities: run by the worker that runs the workflow, inside its
 * workflow task, with only a marker in history. A database write of a few milliseconds then costs
 * no activity task round trip through the server; the time-to-site benchmark found a warm site
 * spending most of its time in those round trips. Retries longer than the threshold wait on a
 * durable timer instead of holding the workflow task.
 */
export const quickLocalCall: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry: { ...retry, maximumAttempts: 20 },
};

/** The patch that moved database calls to local activities; histories from before replay as they ran. */
export const localDatabaseCallsPatch = 'local-database-calls';

/**
 * A proxy for quick database activities (records, addresses, the pool): local activities for
 * workflows started since the `local-database-calls` patch, scheduled activities for those
 * started before, so their histories replay unchanged. Call it once, when the workflow starts.
 */
export function databaseCalls<A extends object>(): ActivityInterfaceFor<A> {
  return patched(localDatabaseCallsPatch)
    ? proxyLocalActivities<A>(quickLocalCall)
    : proxyActivities<A>(quickCall);
}

/**
 * Calls to the hypervisor API. They heartbeat (a long task is awaited with heartbeats), so a call
 * whose worker died is retried within half a minute, not after the ten-minute limit; the
 * worker-kill benchmark found sites stalled that long.
 */
export const hypervisorCall: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { ...retry, maximumAttempts: 10 },
};

/**
 * Calls to the DNS server. A server that is down for a while is waited for (about ten minutes of
 * retries) rather than failing the provisioning; a refused change fails at once.
 */
export const dnsCall: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 25 },
};

/** A whole-zone comparison (reconciliation): heartbeats per zone. */
export const dnsReconciliation: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { ...retry, maximumAttempts: 3 },
};

/**
 * Reading every ready site's people from the directory: long on a large fleet, heartbeating per
 * site; a directory that stays unreachable fails the refresh, and the next one tries again.
 */
export const directorySweep: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { ...retry, maximumAttempts: 5 },
};

/** Starting the workflows of stranded site requests: a few calls per site, heartbeating. */
export const siteRequestRepair: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 3 },
};

/** Ending expired site supports: a deletion and a configuration request per support. */
export const supportExpiry: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 3 },
};

/** Sending queued upgrades to their sites' workflows: one Update each, heartbeating. */
export const upgradeQueue: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 3 },
};

/**
 * Sending one e-mail: an SMTP server may take its timeout (SMTP_TIMEOUT_MS, at most two minutes)
 * for each of connecting, greeting and a few commands. Retried only for the activity's own
 * failures (the database, a lost worker): the mail server's answers are recorded on the
 * notification, whose next attempt waits in the database (activities/notify/activities.ts), and
 * sendingLeaseMs there must stay longer than this timeout.
 */
export const mailCall: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  retry: { ...retry, maximumAttempts: 3 },
};

/** A configuration run: long, heartbeating, so a lost worker is noticed within a minute. */
export const configurationRun: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 3 },
};

/** The patch that moved configuration runs to their own task queue. */
export const ansibleTaskQueuePatch = 'ansible-task-queue';

/**
 * A proxy for configuration runs: on the workflow's task queue + `-ansible` since the
 * `ansible-task-queue` patch, where a worker of bounded concurrency serves them; on the workflow's
 * own queue in histories from before it, so they replay unchanged. Call it where the run is
 * scheduled, so a workflow already running when the patch is deployed moves over at its next run.
 */
export function configurationCalls<A extends object>(): ActivityInterfaceFor<A> {
  return patched(ansibleTaskQueuePatch)
    ? proxyActivities<A>({
        ...configurationRun,
        taskQueue: ansibleTaskQueue(workflowInfo().taskQueue),
      })
    : proxyActivities<A>(configurationRun);
}

/**
 * Waiting for a server's install callback, in attempts of at most 30 seconds that together last
 * as long as an install may take. Each attempt records itself and returns at once if the callback
 * already came, so an attempt lost with its worker (or one the database was too busy to record)
 * costs at most 30 seconds, not the whole install timeout; the worker-kill benchmark found sites
 * waiting that long, and two-minute attempts still outlasted the worker-crash test's patience
 * under load (an attempt dispatched to a worker killed before it registered).
 */
export function installWait(timeoutSeconds: number): ActivityOptions {
  const attemptSeconds = Math.min(timeoutSeconds, 30);
  return {
    startToCloseTimeout: `${attemptSeconds} seconds`,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 1,
      maximumAttempts: Math.ceil(timeoutSeconds / attemptSeconds) + 1,
      nonRetryableErrorTypes: nonRetryableFailureTypes,
    },
  };
}
