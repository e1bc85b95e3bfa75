import { defineQuery } from '@temporalio/workflow';
import { type SiteStatus } from '../libs/domain/site-status';

/** What the site workflow knows about its site; read with the `siteState` query. */
export interface SiteState {
  siteId: string;
  status: SiteStatus;
  vmId: string | null;
  hostname: string | null;
}

export const siteStateQuery = defineQuery<SiteState>('siteState');

/** The workflow type name the api starts; the function is `site` in site.ts. */
export const siteWorkflowType = 'site';

export interface SiteInput {
  siteId: string;
  owner: string;
  hostnameLabel: string | null;
  /** The operation the request created, which provisioning reports progress on. */
  provisionOperationId: string;
  size: { cpus: number; memoryMb: number; diskGb: number };
  installTimeoutSeconds: number;
}
