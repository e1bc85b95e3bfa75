import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { AnsibleActivities } from '../activities/ansible/activities';
import type { HypervisorActivities } from '../activities/hypervisor/activities';
import type { HostKeyActivities } from '../activities/keys/activities';
import type { DnsActivities } from '../activities/network/dns-activities';
import type { NetworkActivities } from '../activities/network/activities';
import type { PoolActivities } from '../activities/pool/activities';
import type { OperationOutcome, RecordsActivities } from '../activities/records/activities';
import type { BackupActivities } from '../activities/backups/activities';
import type { SnapshotActivities } from '../activities/snapshots/activities';
import type { TestServerActivities } from '../activities/test-servers/activities';
import { type SiteStatus } from '../libs/domain/site-status';
import { isBackupName, nextBackupAt } from '../libs/domain/backup-retention';
import { snapshotNameProblem } from '../libs/domain/snapshot-names';
import { describeFailure } from '../libs/failures';
import {
  cloneWorkflowId,
  poolRefillWorkflowId,
  provisionWorkflowId,
  searchAttributes,
  switchWorkflowId,
} from '../libs/temporal/names';
import { configurationCalls, dnsCall, hypervisorCall, quickCall } from './activity-options';
import { networkDnsKeysPatch, provisionVm } from './provision-vm';
import { refillPool } from './refill-pool';
import {
  refusal,
  type ServersOutlook,
  serversAfter,
  serversRefusal,
  settledStatus,
  statusAfter,
} from './site-lifecycle';
import { cloneServer, switchServers } from './test-server';
import {
  changeSiteUpdate,
  type PoolChoice,
  type ServerIdentity,
  type SiteChange,
  type SiteChangeRequest,
  type SiteInput,
  type SiteState,
  siteStateQuery,
} from './site.messages';

const defaultGraceSeconds = 30 * 24 * 3600;
const defaultContinueAsNewAfterEvents = 10_000;
const defaultUpgradeWait = { approvalSeconds: 14 * 86_400, reminderSeconds: 7 * 86_400 };
/** The snapshot production is upgraded under; `berth-` names are not the site admins' to take. */
const preUpgradeSnapshot = 'berth-pre-upgrade';

/**
 * The entity workflow of one site, `site/<siteId>`: it provisions the site's server and then
 * stays, so that every change to the site is serialised through it. Changes arrive as the
 * `changeSite` Update, validated before they enter history; configuration changes that arrive
 * during a run are coalesced into exactly one follow-up run. Status changes are written by
 * activities, audited, and mirrored in the BerthStatus search attribute.
 */
export async function site(input: SiteInput): Promise<void> {
  // Scheduled activities, not local ones: an Update that reached this workflow while local
  // activities were running was rejected by the server as "not processed by worker" (20
  // concurrent reconfigurations in test/e2e/site-lifecycle.spec.ts showed it), so the workflow
  // that takes Updates keeps every call in history. Its children take no Updates and run their
  // database calls locally (see databaseCalls).
  const records = proxyActivities<RecordsActivities>(quickCall);
  const pools = proxyActivities<PoolActivities>(quickCall);
  const network = proxyActivities<NetworkActivities>(quickCall);
  const state: SiteState = input.carried?.state ?? {
    siteId: input.siteId,
    status: 'requested',
    vmId: null,
    hostname: null,
    ipv4: null,
    ipv6: null,
    renews: true,
    statusBeforeCancel: null,
    deleteAfterMs: null,
    testServer: null,
    upgrade: null,
    nextBackupMs: null,
    configuration: { running: false, requested: false, runs: 0, coalesced: 0 },
  };
  const pending: SiteChangeRequest[] = [...(input.carried?.pending ?? [])];
  /** Configure operations the next run will finish. */
  let nextRunOperations: string[] = [...(input.carried?.nextRunOperations ?? [])];
  /** The accepted change being applied now (it has left `pending`). */
  let applying: string | null = null;
  /** The configure operations of the configuration run under way (they have left nextRun). */
  let inRun: string[] = [];
  setHandler(siteStateQuery, () => ({
    ...state,
    heldOperations: [
      ...pending.map((request) => request.operationId),
      ...(applying === null ? [] : [applying]),
      ...nextRunOperations,
      ...inRun,
      ...(state.upgrade ? [state.upgrade.operationId] : []),
    ],
  }));

  /** Status writes go one at a time, whichever part of the workflow makes them. */
  let statusLock: Promise<unknown> = Promise.resolve();
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const run = statusLock.then(work);
    statusLock = run.catch(() => undefined);
    return run;
  };
  const moveTo = async (
    to: SiteStatus,
    action: string,
    summary: string,
    finish?: OperationOutcome,
    actor?: string,
  ) => {
    await records.transitionSite({ siteId: input.siteId, to, action, summary, finish, actor });
    state.status = to;
    upsertSearchAttributes([{ key: searchAttributes.status, value: to }]);
  };

  /** The status the site will have once every accepted change has been applied. */
  const projectedStatus = (): SiteStatus =>
    pending.reduce(
      (status, request) => statusAfter(request.change, status, state.statusBeforeCancel),
      settledStatus(state.status),
    );

  /** Whether the site will have a test server and a waiting upgrade once accepted changes run. */
  const projectedServers = (): ServersOutlook =>
    pending.reduce((outlook, request) => serversAfter(request.change, outlook), {
      testServer: (state.testServer ?? null) !== null,
      upgrading: (state.upgrade ?? null) !== null,
    });

  setHandler(
    changeSiteUpdate,
    async (request) => {
      if (request.change.kind !== 'configure') {
        pending.push(request);
        return { operationId: request.operationId };
      }
      nextRunOperations.push(request.operationId);
      // A request that finds a run already due is folded into it; otherwise it makes one.
      if (state.configuration.requested) state.configuration.coalesced++;
      state.configuration.requested = true;
      // During a run the site shows that another run is queued (MWS3's "ansible queue").
      await serialised(async () => {
        if (state.configuration.requested && state.status === 'configuring') {
          await moveTo(
            'configuring-queued',
            'site.configuring-queued',
            'changes queued for the next run',
          );
        }
      });
      return { operationId: request.operationId };
    },
    {
      validator: (request: SiteChangeRequest) => {
        const status = projectedStatus();
        const reason =
          refusal(request.change, status) ?? serversRefusal(request.change, projectedServers());
        if (reason)
          throw ApplicationFailure.create({
            type: 'IllegalTransition',
            message: reason,
            nonRetryable: true,
            // The status it judged by: the api compares it with the database's (see send()).
            details: [status],
          });
        if (request.change.kind === 'restore-backup' && !isBackupName(request.change.name)) {
          throw ApplicationFailure.create({
            type: 'InvalidChange',
            message: 'a backup is named by its date, YYYY-MM-DD',
            nonRetryable: true,
          });
        }
        if ('name' in request.change && request.change.kind !== 'restore-backup') {
          const problem = snapshotNameProblem(request.change.name);
          if (problem) {
            throw ApplicationFailure.create({
              type: 'InvalidChange',
              message: problem,
              nonRetryable: true,
            });
          }
        }
        if (request.change.kind === 'suspend' && request.change.reason.trim() === '') {
          throw ApplicationFailure.create({
            type: 'IllegalTransition',
            message: 'a suspension needs a reason',
            nonRetryable: true,
          });
        }
      },
    },
  );

  if (!input.carried) await provision();
  await live();

  async function provision(): Promise<void> {
    // Since the `warm-claim-fewer-steps` patch, a claim records the move to installing and the
    // progress reports in its own transactions: three round trips fewer on the warm path (the
    // time-to-site benchmark). Histories from before it take the old path, in the old order.
    const fewerSteps = patched('warm-claim-fewer-steps');
    const installing = ['installing', 'site.installing', 'provisioning started'] as const;
    if (!fewerSteps) await moveTo(...installing);
    // Sites asking for their own host name need a server built with it; the others take one
    // from the warm pool when there is one. Histories from before the pool take the old path.
    if (patched('warm-pool') && input.pool && input.hostnameLabel === null) {
      if (await claimFromPool(input.pool, fewerSteps)) return;
    }
    if (fewerSteps) await moveTo(...installing);
    state.vmId = uuid4();
    try {
      const server = await executeChild(provisionVm, {
        workflowId: provisionWorkflowId(state.vmId),
        args: [
          {
            siteId: input.siteId,
            vmId: state.vmId,
            operationId: input.provisionOperationId,
            hostnameLabel: input.hostnameLabel,
            size: input.size,
            installTimeoutSeconds: input.installTimeoutSeconds,
          },
        ],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        typedSearchAttributes: [
          { key: searchAttributes.siteId, value: input.siteId },
          { key: searchAttributes.owner, value: input.owner },
        ],
      });
      state.hostname = server.hostname;
      state.ipv4 = server.ipv4;
      state.ipv6 = server.ipv6;
      upsertSearchAttributes([{ key: searchAttributes.hostname, value: server.hostname }]);
      await moveTo('ready', 'site.ready', `server ${server.hostname} is ready`, {
        operationId: input.provisionOperationId,
        status: 'succeeded',
      });
    } catch (error) {
      if (isCancellation(error)) throw error;
      const reason = describeFailure(error);
      await moveTo('failed', 'site.failed', `provisioning failed: ${reason}`, {
        operationId: input.provisionOperationId,
        status: 'failed',
        error: reason,
      });
    }
  }

  /** Takes a built server from the warm pool, if it has one, and makes it this site's. */
  async function claimFromPool(pool: PoolChoice, fewerSteps: boolean): Promise<boolean> {
    const hypervisor = proxyActivities<HypervisorActivities>(hypervisorCall);
    const operationId = input.provisionOperationId;
    const starting = { operationId, progress: 50, step: 'starting a pooled server' };
    const configuring = { operationId, progress: 70, step: 'configuring' };
    const server = await pools.claimPooledVm({
      siteId: input.siteId,
      image: pool.image,
      ...(fewerSteps
        ? {
            progress: starting,
            transition: {
              siteId: input.siteId,
              to: 'installing' as const,
              action: 'site.installing',
              summary: 'provisioning started (warm pool)',
            },
          }
        : {}),
    });
    if (fewerSteps && server !== null) {
      // The claim moved the site to installing in its transaction.
      state.status = 'installing';
      upsertSearchAttributes([{ key: searchAttributes.status, value: 'installing' }]);
    }
    // Since the patch, the refill starts once the site is served, off its critical path.
    const topUpLater = patched('top-up-pool-after-claim');
    if (!topUpLater) await topUpPool(pool);
    if (server === null) {
      if (topUpLater) await topUpPool(pool);
      return false;
    }
    state.vmId = server.vmId;
    state.hostname = server.hostname;
    state.ipv4 = server.ipv4;
    state.ipv6 = server.ipv6;
    upsertSearchAttributes([{ key: searchAttributes.hostname, value: server.hostname }]);
    try {
      if (!fewerSteps) await records.reportProgress(starting);
      const { powerState } = await hypervisor.powerVm({ vmId: server.vmId, action: 'on' });
      await records.setVmPowerState({
        vmId: server.vmId,
        powerState,
        ...(fewerSteps ? { progress: configuring } : {}),
      });
      if (!fewerSteps) await records.reportProgress(configuring);
      // The pooled server was configured for nobody: this run gives it its site.
      await configurationCalls<AnsibleActivities>().configureServer({
        siteId: input.siteId,
        ...server,
        operationId,
      });
      await moveTo('ready', 'site.ready', `server ${server.hostname} is ready (warm pool)`, {
        operationId,
        status: 'succeeded',
      });
    } catch (error) {
      if (isCancellation(error)) throw error;
      const reason = describeFailure(error);
      await moveTo('failed', 'site.failed', `provisioning failed: ${reason}`, {
        operationId,
        status: 'failed',
        error: reason,
      });
    }
    if (topUpLater) await topUpPool(pool);
    return true;
  }

  /** Starts a refill of the pool, unless one is already running (it will count this claim). */
  async function topUpPool(pool: PoolChoice): Promise<void> {
    try {
      await startChild(refillPool, {
        workflowId: poolRefillWorkflowId(pool.image),
        args: [
          {
            image: pool.image,
            target: pool.target,
            size: input.size,
            installTimeoutSeconds: input.installTimeoutSeconds,
            settleSeconds: pool.refillSettleSeconds,
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  /** Applies accepted changes one at a time until the site is deleted. */
  async function live(): Promise<void> {
    const limit = input.continueAsNewAfterEvents ?? defaultContinueAsNewAfterEvents;
    const continueDue = () =>
      workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit;
    // Since the patch, a site with backups configured takes one every night.
    const backups = input.backups && patched('nightly-backups') ? input.backups : null;
    if (backups && (state.nextBackupMs ?? null) === null) {
      state.nextBackupMs = nextBackupAt(Date.now(), backups, input.siteId);
    }
    while (state.status !== 'deleted') {
      const configDue = () =>
        state.configuration.requested && ['ready', 'quarantined'].includes(state.status);
      const timer = nextTimer(backups !== null);
      const timeout = timer === undefined ? undefined : Math.max(0, timer.atMs - Date.now());
      const work = () => pending.length > 0 || configDue() || continueDue();
      // condition() with a timeout resolves false when the timer (a durable Temporal timer) fires.
      const woke =
        timeout === undefined ? (await condition(work), true) : await condition(work, timeout);
      if (!woke && timer) {
        await onTimer(timer.kind, backups);
      } else if (pending.length > 0) {
        const request = pending.shift()!;
        applying = request.operationId;
        try {
          await applySafely(request);
        } finally {
          applying = null;
        }
      } else if (configDue()) {
        await configure();
      } else {
        await condition(allHandlersFinished);
        await continueAsNew<typeof site>({
          ...input,
          carried: { state, pending, nextRunOperations },
        });
      }
    }
  }

  type TimerKind = 'delete' | 'backup' | 'upgrade-reminder' | 'upgrade-deadline';

  /** The soonest of the site's durable timers: deletion, the nightly backup, an upgrade's wait. */
  function nextTimer(backupsOn: boolean): { kind: TimerKind; atMs: number } | undefined {
    const timers: { kind: TimerKind; atMs: number }[] = [];
    if (state.status === 'cancelled' && state.deleteAfterMs !== null) {
      timers.push({ kind: 'delete', atMs: state.deleteAfterMs });
    }
    if (backupsOn && typeof state.nextBackupMs === 'number') {
      timers.push({ kind: 'backup', atMs: state.nextBackupMs });
    }
    if (state.upgrade) {
      if (state.upgrade.remindAtMs !== null) {
        timers.push({ kind: 'upgrade-reminder', atMs: state.upgrade.remindAtMs });
      }
      timers.push({ kind: 'upgrade-deadline', atMs: state.upgrade.deadlineMs });
    }
    return timers.reduce<{ kind: TimerKind; atMs: number } | undefined>(
      (soonest, one) => (soonest === undefined || one.atMs < soonest.atMs ? one : soonest),
      undefined,
    );
  }

  async function onTimer(kind: TimerKind, backups: SiteInput['backups'] | null): Promise<void> {
    if (kind === 'delete') {
      try {
        await apply({ operationId: null, actor: 'system', change: { kind: 'delete' } });
      } catch (error) {
        if (isCancellation(error)) throw error;
        // Try again in an hour rather than fail the site's workflow.
        log.warn('deleting a cancelled site failed', { error: describeFailure(error) });
        state.deleteAfterMs = Date.now() + 3600_000;
      }
    } else if (kind === 'backup') {
      state.nextBackupMs = nextBackupAt(Date.now(), backups!, input.siteId);
      // A site that cannot be backed up now (being deleted, failed) is tried the next night.
      if (refusal({ kind: 'back-up' }, settledStatus(state.status)) === undefined) {
        await systemChange({ kind: 'back-up' }, 'the nightly backup failed');
      }
    } else if (kind === 'upgrade-reminder') {
      const upgrade = state.upgrade!;
      upgrade.remindAtMs = null;
      await askForApproval(upgrade, true);
    } else {
      await systemChange({ kind: 'cancel-upgrade' }, 'calling off an unapproved upgrade failed');
    }
  }

  /** A change Berth makes itself (no operation); its failure is logged, not the workflow's. */
  async function systemChange(change: SiteChange, failed: string): Promise<void> {
    try {
      await apply({ operationId: null, actor: 'system', change });
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn(failed, { error: describeFailure(error) });
    }
  }

  /** One configuration run, then as many follow-ups as changes arrived during it (at most one each time). */
  async function configure(): Promise<void> {
    const visible = state.status === 'ready';
    state.configuration.running = true;
    while (state.configuration.requested) {
      state.configuration.requested = false;
      const operations = nextRunOperations;
      nextRunOperations = [];
      inRun = operations;
      state.configuration.runs++;
      const run = state.configuration.runs;
      if (visible) {
        await serialised(async () => {
          // A follow-up run whose request arrived too late for the handler to show it queued:
          // show it now, so the audit log reads run, queued, run.
          if (state.status === 'configuring') {
            await moveTo(
              'configuring-queued',
              'site.configuring-queued',
              'changes queued for the next run',
            );
          }
          await moveTo('configuring', 'site.configuring', `configuration run ${run} started`);
        });
      }
      let outcome: OperationOutcome['status'] = 'succeeded';
      let error: string | undefined;
      try {
        await configurationCalls<AnsibleActivities>().configureServer({
          vmId: state.vmId!,
          siteId: state.siteId,
          hostname: state.hostname ?? '',
          ipv4: state.ipv4 ?? '',
          ipv6: state.ipv6 ?? '',
          // The run is listed on the operation that asked for it first; coalesced ones share it.
          operationId: operations[0] ?? null,
        });
        // As in MWS3, a change is applied to the test server too, so it stays like production.
        const testServer = state.testServer ?? null;
        if (testServer !== null) {
          await configurationCalls<AnsibleActivities>().configureServer({
            ...testServer,
            siteId: state.siteId,
            operationId: operations[0] ?? null,
          });
        }
      } catch (failure) {
        // As in MWS3, a failed run leaves the site usable; the operations say what went wrong.
        outcome = 'failed';
        error = describeFailure(failure);
      }
      for (const operationId of operations) {
        await records.finishOperation({ operationId, status: outcome, error });
      }
      inRun = [];
    }
    state.configuration.running = false;
    if (visible) {
      await serialised(() => moveTo('ready', 'site.configured', 'configuration applied'));
    }
  }

  /**
   * A change that fails (an adapter refused, say) fails its operation, not the site's workflow:
   * the site stays where the failed step left it, and later changes still run.
   */
  async function applySafely(request: SiteChangeRequest): Promise<void> {
    try {
      await apply(request);
    } catch (error) {
      if (isCancellation(error)) throw error;
      await records.finishOperation({
        operationId: request.operationId,
        status: 'failed',
        error: describeFailure(error),
      });
    }
  }

  async function apply(
    request: SiteChangeRequest | { operationId: null; actor: string; change: SiteChange },
  ): Promise<void> {
    // Refusals were checked when the change was accepted; re-check against where the site is now.
    const reason = refusal(request.change, settledStatus(state.status));
    const finishWith = (status: OperationOutcome['status'], error?: string) =>
      request.operationId === null
        ? Promise.resolve()
        : records.finishOperation({ operationId: request.operationId, status, error });
    if (reason) return finishWith('failed', `IllegalTransition: ${reason}`);
    await condition(() => !state.configuration.running);
    const hypervisor = proxyActivities<HypervisorActivities>(hypervisorCall);
    const finish =
      request.operationId === null
        ? undefined
        : ({ operationId: request.operationId, status: 'succeeded' } as const);
    /** A move this change asks for, audited as its asker's and ending its operation. */
    const moveAs = (to: SiteStatus, action: string, summary: string) =>
      moveTo(to, action, summary, finish, request.actor);
    const vmId = state.vmId;
    const power = async (action: 'on' | 'off' | 'reboot' | 'reset') => {
      if (vmId === null) return;
      const { powerState } = await hypervisor.powerVm({ vmId, action });
      await records.setVmPowerState({ vmId, powerState, action, actor: request.actor });
    };
    /**
     * A site that is disabled, suspended or cancelled serves nothing, from its test server either
     * (a suspended site must not go on serving from it); brought back, both run again.
     */
    const powerSite = async (action: 'on' | 'off') => {
      await power(action);
      const testServer = state.testServer ?? null;
      if (testServer === null) return;
      const { powerState } = await hypervisor.powerVm({ vmId: testServer.vmId, action });
      await records.setVmPowerState({
        vmId: testServer.vmId,
        powerState,
        action,
        actor: request.actor,
      });
    };
    const change = request.change;
    switch (change.kind) {
      case 'disable':
        await powerSite('off');
        await serialised(() => moveAs('disabled', 'site.disabled', `disabled by ${request.actor}`));
        return;
      case 'enable':
        await powerSite('on');
        await serialised(() => moveAs('ready', 'site.enabled', `enabled by ${request.actor}`));
        state.configuration.requested = true;
        return;
      case 'suspend':
        await powerSite('off');
        await records.setSiteFields({
          siteId: state.siteId,
          suspensionReason: change.reason,
          actor: request.actor,
        });
        await serialised(() =>
          moveAs('suspended', 'site.suspended', `suspended by ${request.actor}: ${change.reason}`),
        );
        return;
      case 'unsuspend':
        await records.setSiteFields({
          siteId: state.siteId,
          suspensionReason: null,
          actor: request.actor,
        });
        await serialised(() =>
          moveAs('disabled', 'site.unsuspended', `unsuspended by ${request.actor}; still disabled`),
        );
        return;
      case 'quarantine':
        await serialised(() =>
          moveAs('quarantined', 'site.quarantined', `quarantined by ${request.actor}`),
        );
        state.configuration.requested = true;
        return;
      case 'release-quarantine':
        await serialised(() =>
          moveAs('ready', 'site.released', `quarantine lifted by ${request.actor}`),
        );
        state.configuration.requested = true;
        return;
      case 'cancel': {
        const grace = input.cancellationGraceSeconds ?? defaultGraceSeconds;
        state.statusBeforeCancel = state.status;
        state.deleteAfterMs = Date.now() + grace * 1000;
        await powerSite('off');
        await records.setSiteFields({
          siteId: state.siteId,
          deleteAfter: new Date(state.deleteAfterMs).toISOString(),
          actor: request.actor,
        });
        await serialised(() =>
          moveAs(
            'cancelled',
            'site.cancelled',
            `cancelled by ${request.actor}; deleted after ${new Date(state.deleteAfterMs!).toISOString()}`,
          ),
        );
        return;
      }
      case 'revert-cancellation': {
        const back = state.statusBeforeCancel ?? 'ready';
        state.statusBeforeCancel = null;
        state.deleteAfterMs = null;
        await records.setSiteFields({
          siteId: state.siteId,
          deleteAfter: null,
          actor: request.actor,
        });
        if (back === 'ready' || back === 'quarantined') await powerSite('on');
        await serialised(() =>
          moveAs(back, 'site.cancellation-reverted', `cancellation reverted by ${request.actor}`),
        );
        return;
      }
      case 'delete':
        if (state.upgrade) await endUpgrade('the site was deleted');
        if (state.testServer) {
          await destroyServer(state.testServer.vmId, () => true);
          state.testServer = null;
        }
        // Since the patch: the server's records leave DNS before its addresses go on hold, so
        // no name or address outlives it there, and its host keys are forgotten.
        // (Asked after the VM is gone, where histories from before recorded the patch marker.)
        if (vmId !== null) await destroyServer(vmId, () => patched(networkDnsKeysPatch));
        await serialised(() => moveAs('deleted', 'site.deleted', `deleted by ${request.actor}`));
        return;
      case 'set-renewal':
        state.renews = change.renews;
        await records.setSiteFields({
          siteId: state.siteId,
          renews: change.renews,
          actor: request.actor,
        });
        return finishWith('succeeded');
      case 'power-on':
      case 'power-off':
      case 'reboot':
      case 'reset':
        await power(
          change.kind === 'power-on' ? 'on' : change.kind === 'power-off' ? 'off' : change.kind,
        );
        return finishWith('succeeded');
      case 'create-snapshot':
      case 'revert-snapshot':
      case 'delete-snapshot': {
        if (vmId === null) return finishWith('failed', 'the site has no server');
        const snapshots = proxyActivities<SnapshotActivities>(hypervisorCall);
        const snapshot = { siteId: state.siteId, vmId, name: change.name, actor: request.actor };
        if (change.kind === 'create-snapshot') {
          await snapshots.takeSiteSnapshot(snapshot);
        } else if (change.kind === 'delete-snapshot') {
          await snapshots.removeSiteSnapshot(snapshot);
        } else {
          await snapshots.revertToSiteSnapshot(snapshot);
          // The snapshot's power state is not the site's: put that back, then bring the server
          // to what the site is now (its vhosts, users and keys may have changed since).
          await power(state.status === 'disabled' ? 'off' : 'on');
          if (state.status !== 'disabled') state.configuration.requested = true;
        }
        return finishWith('succeeded');
      }
      case 'create-test-server':
      case 'restore-backup': {
        if (vmId === null) return finishWith('failed', 'the site has no server');
        let source = vmId;
        if (change.kind === 'restore-backup') {
          const backups = proxyActivities<BackupActivities>(quickCall);
          source = (await backups.checkBackupExists({ siteId: state.siteId, name: change.name }))
            .vmId;
        }
        await makeTestServer(
          source,
          change.kind === 'restore-backup' ? change.name : null,
          request.operationId,
        );
        return finishWith('succeeded');
      }
      case 'switch-test-server': {
        const testServer = state.testServer ?? null;
        if (testServer === null || vmId === null) {
          return finishWith('failed', 'the site has no test server');
        }
        const swapped = await executeChild(switchServers, {
          workflowId: switchWorkflowId(request.operationId ?? uuid4()),
          args: [
            {
              siteId: state.siteId,
              production: {
                vmId,
                hostname: state.hostname!,
                ipv4: state.ipv4!,
                ipv6: state.ipv6!,
              },
              test: testServer,
              operationId: request.operationId,
            },
          ],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        });
        state.vmId = swapped.production.vmId;
        state.testServer = swapped.test;
        return finishWith('succeeded');
      }
      case 'delete-test-server': {
        const testServer = state.testServer ?? null;
        if (testServer !== null) {
          await destroyServer(testServer.vmId, () => true);
          state.testServer = null;
        }
        return finishWith('succeeded');
      }
      case 'back-up': {
        if (vmId === null) return finishWith('failed', 'the site has no server');
        const backups = proxyActivities<BackupActivities>(hypervisorCall);
        await backups.takeSiteBackup({
          siteId: state.siteId,
          vmId,
          at: new Date(Date.now()).toISOString(),
          actor: request.actor,
        });
        await backups.pruneSiteBackups({ siteId: state.siteId, vmId, actor: request.actor });
        return finishWith('succeeded');
      }
      case 'upgrade':
        // An upgrade is always asked for, with an operation that follows it to the end.
        if (request.operationId === null) return;
        if (vmId === null) return finishWith('failed', 'the site has no server');
        return startUpgrade(change.image, request.operationId);
      case 'approve-upgrade':
        await upgradeProduction(request.actor);
        return finishWith('succeeded');
      case 'cancel-upgrade':
        await endUpgrade(`called off by ${request.actor}`);
        return finishWith('succeeded');
      case 'configure':
        return;
    }
  }

  /** A new test server cloned from `source` (at a backup when named); state has it once made. */
  async function makeTestServer(
    source: string,
    fromSnapshot: string | null,
    operationId: string | null,
  ): Promise<ServerIdentity> {
    const testVmId = uuid4();
    const made = await executeChild(cloneServer, {
      workflowId: cloneWorkflowId(testVmId),
      args: [
        { siteId: state.siteId, sourceVmId: source, vmId: testVmId, fromSnapshot, operationId },
      ],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      typedSearchAttributes: [
        { key: searchAttributes.siteId, value: state.siteId },
        { key: searchAttributes.owner, value: input.owner },
      ],
    });
    state.testServer = made;
    return made;
  }

  /** Removes a server and everything that was its: VM, DNS, keys, addresses (held), records. */
  async function destroyServer(serverVmId: string, withDns: () => boolean): Promise<void> {
    // Each step is idempotent, so a failed removal is finished by asking again.
    await proxyActivities<HypervisorActivities>(hypervisorCall).destroyVm({ vmId: serverVmId });
    if (withDns()) {
      await proxyActivities<DnsActivities>(dnsCall).removeServerDns({ vmId: serverVmId });
      await proxyActivities<HostKeyActivities>(quickCall).forgetHostKeys({ vmId: serverVmId });
    }
    await network.releaseNetwork({ vmId: serverVmId });
    await records.forgetServer({ vmId: serverVmId });
  }

  /**
   * The first half of an upgrade: the test server (cloned for it when the site has none) is
   * upgraded, and the site's admins are asked to try it and approve. The operation stays running
   * until they approve, call it off, or the wait ends. A failure removes a test server made for it.
   */
  async function startUpgrade(image: string, operationId: string): Promise<void> {
    const wait = input.upgradeWait ?? defaultUpgradeWait;
    let testServer = state.testServer ?? null;
    const madeForIt = testServer === null;
    if (testServer === null) testServer = await makeTestServer(state.vmId!, null, operationId);
    try {
      await records.reportProgress({
        operationId,
        progress: 50,
        step: `upgrading the test server to ${image}`,
      });
      await configurationCalls<AnsibleActivities>().upgradeServer({
        ...testServer,
        siteId: state.siteId,
        operationId,
        image,
      });
    } catch (error) {
      if (madeForIt) await removeTestServerQuietly();
      throw error;
    }
    const now = Date.now();
    state.upgrade = {
      operationId,
      image,
      testServerMadeForIt: madeForIt,
      remindAtMs: now + wait.reminderSeconds * 1000,
      deadlineMs: now + wait.approvalSeconds * 1000,
    };
    await askForApproval(state.upgrade, false);
    await records.reportProgress({ operationId, progress: 60, step: 'waiting for approval' });
  }

  async function askForApproval(
    upgrade: NonNullable<SiteState['upgrade']>,
    reminder: boolean,
  ): Promise<void> {
    try {
      await proxyActivities<TestServerActivities>(quickCall).queueUpgradeApproval({
        siteId: state.siteId,
        operationId: upgrade.operationId,
        image: upgrade.image,
        testHostname: state.testServer?.hostname ?? '',
        approveBy: new Date(upgrade.deadlineMs).toISOString(),
        reminder,
      });
    } catch (error) {
      if (isCancellation(error)) throw error;
      // The wait goes on: the operation says it is waiting, whatever became of the e-mail.
      log.warn('queueing the upgrade approval notice failed', { error: describeFailure(error) });
    }
  }

  /**
   * The approved half: production is snapshotted, upgraded and configured; if any of that fails,
   * it is reverted to the snapshot and powered as it was. The snapshot is removed either way.
   */
  async function upgradeProduction(actor: string): Promise<void> {
    const upgrade = state.upgrade!;
    const servers = proxyActivities<TestServerActivities>(hypervisorCall);
    const hypervisor = proxyActivities<HypervisorActivities>(hypervisorCall);
    const vmId = state.vmId!;
    const snapshot = { vmId, name: preUpgradeSnapshot };
    const production = {
      vmId,
      siteId: state.siteId,
      hostname: state.hostname ?? '',
      ipv4: state.ipv4 ?? '',
      ipv6: state.ipv6 ?? '',
      operationId: upgrade.operationId,
    };
    const report = (progress: number, step: string) =>
      records.reportProgress({ operationId: upgrade.operationId, progress, step });
    let outcome: { error?: string } = {};
    try {
      await report(70, `approved by ${actor}; taking a snapshot of production`);
      const before = await servers.takeServerSnapshot(snapshot);
      try {
        await report(80, `upgrading production to ${upgrade.image}`);
        await configurationCalls<AnsibleActivities>().upgradeServer({
          ...production,
          image: upgrade.image,
        });
        await report(90, 'configuring production');
        await configurationCalls<AnsibleActivities>().configureServer(production);
      } catch (error) {
        if (isCancellation(error)) throw error;
        await CancellationScope.nonCancellable(async () => {
          await servers.revertServerSnapshot({ ...snapshot, image: before.image });
          const { powerState } = await hypervisor.powerVm({ vmId, action: 'on' });
          await records.setVmPowerState({ vmId, powerState });
        });
        outcome = { error: `production was put back as it was: ${describeFailure(error)}` };
      }
    } catch (error) {
      if (isCancellation(error)) throw error;
      outcome = { error: describeFailure(error) };
    }
    // Cleaning up: the upgrade stands (or was undone) whether or not these succeed.
    await CancellationScope.nonCancellable(async () => {
      try {
        await servers.removeServerSnapshot(snapshot);
      } catch (error) {
        log.warn('removing the pre-upgrade snapshot failed', { error: describeFailure(error) });
      }
    });
    if (upgrade.testServerMadeForIt) await removeTestServerQuietly();
    state.upgrade = null;
    await records.finishOperation({
      operationId: upgrade.operationId,
      status: outcome.error ? 'failed' : 'succeeded',
      error: outcome.error,
    });
    if (outcome.error) throw ApplicationFailure.nonRetryable(outcome.error, 'UpgradeFailed');
  }

  /** Calls off a waiting upgrade: its test server goes if it was made for it. */
  async function endUpgrade(reason: string): Promise<void> {
    const upgrade = state.upgrade ?? null;
    if (upgrade === null) return;
    if (upgrade.testServerMadeForIt) await removeTestServerQuietly();
    state.upgrade = null;
    await records.finishOperation({
      operationId: upgrade.operationId,
      status: 'failed',
      error: `upgrade to ${upgrade.image} ${reason}`,
    });
  }

  async function removeTestServerQuietly(): Promise<void> {
    const testServer = state.testServer ?? null;
    if (testServer === null) return;
    await CancellationScope.nonCancellable(() => destroyServer(testServer.vmId, () => true));
    state.testServer = null;
  }
}
