import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Every workflow id is built here, so a retried request always names the same workflow. */
export const siteWorkflowId = (siteId: string): string => `site/${siteId}`;
export const provisionWorkflowId = (vmId: string): string => `provision/${vmId}`;
/** A site's test server being cloned, and test and production swapping. */
export const cloneWorkflowId = (vmId: string): string => `clone/${vmId}`;
export const switchWorkflowId = (operationId: string): string => `switch/${operationId}`;
export const poolRefillWorkflowId = (image: string): string => `pool/${image}`;
export const poolScheduleId = (image: string): string => `pool-refill/${image}`;
/** Fleet operations: one evacuation per host at a time; moves and returns by operation. */
export const hostEvacuationWorkflowId = (host: string): string => `host-evacuation/${host}`;
export const hostReturnWorkflowId = (operationId: string): string => `host-return/${operationId}`;
export const vmMoveWorkflowId = (operationId: string): string => `vm-move/${operationId}`;
export const hostWatchWorkflowId = 'host-watch';
export const hostFailoverWorkflowId = (host: string): string => `host-failover/${host}`;
export const hostWatchScheduleId = 'host-watch';
export const dnsReconcileWorkflowId = 'dns-reconcile';
export const dnsReconcileScheduleId = 'dns-reconcile';
export const peopleRefreshWorkflowId = 'site-people-refresh';
export const peopleRefreshScheduleId = 'site-people-refresh';
export const notificationDeliveryWorkflowId = 'notification-delivery';
export const notificationDeliveryScheduleId = 'notification-delivery';
export const certificateExpiryWorkflowId = 'certificate-expiry';
export const certificateExpiryScheduleId = 'certificate-expiry';
export const siteRequestRepairWorkflowId = 'site-request-repair';
export const siteRequestRepairScheduleId = 'site-request-repair';
export const upgradeQueueWorkflowId = 'upgrade-queue';
export const upgradeQueueScheduleId = 'upgrade-queue';
export const supportExpiryWorkflowId = 'site-support-expiry';
export const supportExpiryScheduleId = 'site-support-expiry';

/** Task queues. */
export const defaultTaskQueue = 'berth';
/**
 * Configuration runs' queue beside a workflow's own (`berth-ansible`), served by a worker whose
 * concurrency bounds how many run at once.
 */
export const ansibleTaskQueue = (taskQueue: string): string => `${taskQueue}-ansible`;

/**
 * Search attributes that let operators find every workflow of a site, and every fleet operation
 * on a host, in the Temporal UI.
 */
export const searchAttributes = {
  siteId: defineSearchAttributeKey('BerthSiteId', SearchAttributeType.KEYWORD),
  hostname: defineSearchAttributeKey('BerthHostname', SearchAttributeType.KEYWORD),
  owner: defineSearchAttributeKey('BerthOwner', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('BerthStatus', SearchAttributeType.KEYWORD),
  /** The hypervisor host a fleet operation works on. */
  hypervisorHost: defineSearchAttributeKey('BerthHypervisorHost', SearchAttributeType.KEYWORD),
} as const;

/** `Name=Type` pairs, as the Temporal CLI's --search-attribute flag takes them. */
export const searchAttributeFlags: readonly string[] = Object.values(searchAttributes).map(
  (key) => `${key.name}=Keyword`,
);
