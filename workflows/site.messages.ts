import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { type SiteStatus } from '../libs/domain/site-status';

/** What the site workflow knows about its site; read with the `siteState` query. */
export interface SiteState {
  siteId: string;
  status: SiteStatus;
  vmId: string | null;
  hostname: string | null;
  ipv4: string | null;
  ipv6: string | null;
  renews: boolean;
  /** Where a cancelled site returns to if an operator reverts the cancellation. */
  statusBeforeCancel: SiteStatus | null;
  /** Epoch milliseconds after which a cancelled site is deleted. */
  deleteAfterMs: number | null;
  configuration: {
    /** A run is under way. */
    running: boolean;
    /** Changes arrived that the next run must apply. */
    requested: boolean;
    /** Runs so far, over every run of this workflow. */
    runs: number;
    /** Requests folded into a run that was already due (each other request made a run). */
    coalesced: number;
  };
}

export const siteStateQuery = defineQuery<SiteState>('siteState');

/** A change to a site. Each is one Update, answered with its operation id once accepted. */
export type SiteChange =
  | { kind: 'configure' }
  | { kind: 'disable' }
  | { kind: 'enable' }
  | { kind: 'suspend'; reason: string }
  | { kind: 'unsuspend' }
  | { kind: 'quarantine' }
  | { kind: 'release-quarantine' }
  | { kind: 'cancel' }
  | { kind: 'revert-cancellation' }
  | { kind: 'delete' }
  | { kind: 'set-renewal'; renews: boolean }
  | { kind: 'power-on' }
  | { kind: 'power-off' }
  | { kind: 'reboot' }
  | { kind: 'reset' }
  /** Snapshots of the site's server (MWS3's custom snapshots), by name. */
  | { kind: 'create-snapshot'; name: string }
  | { kind: 'revert-snapshot'; name: string }
  | { kind: 'delete-snapshot'; name: string };

export type SiteChangeKind = SiteChange['kind'];

export interface SiteChangeRequest {
  /** The Operation row the api wrote; also the Update's id, so a retried Update is one change. */
  operationId: string;
  actor: string;
  change: SiteChange;
}

export interface SiteChangeAccepted {
  operationId: string;
}

/** Rejected (by the validator, before it enters history) with an ApplicationFailure of type IllegalTransition. */
export const changeSiteUpdate = defineUpdate<SiteChangeAccepted, [SiteChangeRequest]>('changeSite');

/** The workflow type name the api starts; the function is `site` in site.ts. */
export const siteWorkflowType = 'site';

/** The warm pool a new site takes its server from. */
export interface PoolChoice {
  image: string;
  target: number;
  /** How long the refill a claim starts waits first; absent in histories from before. */
  refillSettleSeconds?: number;
}

export interface SiteInput {
  siteId: string;
  owner: string;
  hostnameLabel: string | null;
  /** The operation the request created, which provisioning reports progress on. */
  provisionOperationId: string;
  size: { cpus: number; memoryMb: number; diskGb: number };
  installTimeoutSeconds: number;
  /** The warm pool to take a server from; absent in histories from before the pool. */
  pool?: PoolChoice;
  /** How long a cancelled site waits before deletion; 30 days when absent. */
  cancellationGraceSeconds?: number;
  /** Continue as new once the history has this many events; 10,000 when absent. */
  continueAsNewAfterEvents?: number;
  /** Set when continuing as new: the state, and changes accepted but not yet applied. */
  carried?: { state: SiteState; pending: SiteChangeRequest[]; nextRunOperations?: string[] };
}
