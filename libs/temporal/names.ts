import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Every workflow id is built here, so a retried request always names the same workflow. */
export const siteWorkflowId = (siteId: string): string => `site/${siteId}`;
export const provisionWorkflowId = (vmId: string): string => `provision/${vmId}`;
export const poolRefillWorkflowId = (image: string): string => `pool/${image}`;
export const poolScheduleId = (image: string): string => `pool-refill/${image}`;

/** Task queues. */
export const defaultTaskQueue = 'berth';

/** Search attributes that let operators find every workflow of a site in the Temporal UI. */
export const searchAttributes = {
  siteId: defineSearchAttributeKey('BerthSiteId', SearchAttributeType.KEYWORD),
  hostname: defineSearchAttributeKey('BerthHostname', SearchAttributeType.KEYWORD),
  owner: defineSearchAttributeKey('BerthOwner', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('BerthStatus', SearchAttributeType.KEYWORD),
} as const;

/** `Name=Type` pairs, as the Temporal CLI's --search-attribute flag takes them. */
export const searchAttributeFlags: readonly string[] = Object.values(searchAttributes).map(
  (key) => `${key.name}=Keyword`,
);
