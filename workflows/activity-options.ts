import { type ActivityOptions } from '@temporalio/workflow';
import { nonRetryableFailureTypes } from '../libs/failures';

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
 * Calls to the hypervisor API. They heartbeat (a long task is awaited with heartbeats), so a call
 * whose worker died is retried within half a minute, not after the ten-minute limit; the
 * worker-kill benchmark found sites stalled that long.
 */
export const hypervisorCall: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { ...retry, maximumAttempts: 10 },
};

/** A configuration run: long, heartbeating, so a lost worker is noticed within a minute. */
export const configurationRun: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 3 },
};

/**
 * Waiting for a server's install callback, as long as an install may take. Another attempt
 * rescues a wait whose worker died before it was recorded (the callback, if it came meanwhile,
 * is found at once), or one the database was too busy to record (the embedded profile's SQLite
 * under a hundred concurrent provisions).
 */
export function installWait(timeoutSeconds: number): ActivityOptions {
  return {
    startToCloseTimeout: `${timeoutSeconds} seconds`,
    retry: {
      maximumAttempts: 3,
      initialInterval: '2 seconds',
      nonRetryableErrorTypes: nonRetryableFailureTypes,
    },
  };
}
