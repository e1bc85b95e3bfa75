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
  /** The site's test server, once one is made (absent in state carried from before them). */
  testServer?: ServerIdentity | null;
  /** An OS upgrade tried on the test server and waiting for the site admins' approval. */
  upgrade?: PendingUpgrade | null;
  /** Epoch milliseconds at which the next nightly backup is due; absent when backups are off. */
  nextBackupMs?: number | null;
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

/** One of the site's servers, as the workflow addresses it. */
export interface ServerIdentity {
  vmId: string;
  hostname: string;
  ipv4: string;
  ipv6: string;
}

export interface PendingUpgrade {
  /** The `upgrade` operation, which stays running until production is upgraded or it is called off. */
  operationId: string;
  /** The image production is upgraded to. */
  image: string;
  /** The test server was made for the upgrade, and goes when it ends. */
  testServerMadeForIt: boolean;
  /** Epoch milliseconds: the reminder, and the end of the wait (the upgrade is then called off). */
  remindAtMs: number | null;
  deadlineMs: number;
}

/** The `siteState` query's answer: the state, and the operations the workflow holds. */
export interface SiteStateView extends SiteState {
  /**
   * Operations it has accepted and not yet ended: changes waiting their turn or being applied,
   * configure requests waiting for a run or in the run under way, and an upgrade waiting for
   * approval. A sender that cannot tell whether its Update arrived asks this first.
   */
  heldOperations?: string[];
}

export const siteStateQuery = defineQuery<SiteStateView>('siteState');

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
  | { kind: 'delete-snapshot'; name: string }
  /** A test server cloned from production as it is now, or from a nightly backup (by date). */
  | { kind: 'create-test-server' }
  | { kind: 'restore-backup'; name: string }
  /** Test server and production swap names, addresses and DNS. */
  | { kind: 'switch-test-server' }
  | { kind: 'delete-test-server' }
  /** Tonight's backup now (the nightly one is the same change, by `system`). */
  | { kind: 'back-up' }
  /** Upgrade the test server (made for it if there is none) to `image`, then wait for approval. */
  | { kind: 'upgrade'; image: string }
  /** Approved: upgrade production, with a snapshot taken first and reverted on failure. */
  | { kind: 'approve-upgrade' }
  | { kind: 'cancel-upgrade' };

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
  /** Nightly backups, due this many seconds into the UTC day plus the site's spread; absent: none. */
  backups?: { secondOfDay: number; spreadSeconds: number };
  /** How long an upgrade waits for approval, and when its reminder goes; absent: 14 and 7 days. */
  upgradeWait?: { approvalSeconds: number; reminderSeconds: number };
  /** Continue as new once the history has this many events; 10,000 when absent. */
  continueAsNewAfterEvents?: number;
  /** Set when continuing as new: the state, and changes accepted but not yet applied. */
  carried?: { state: SiteState; pending: SiteChangeRequest[]; nextRunOperations?: string[] };
}
