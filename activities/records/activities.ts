import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Context } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import { type Orm, type Em, forkEm } from '../../libs/db/orm';
import {
  DomainName,
  IllegalTransitionError,
  NetworkConfig,
  Operation,
  type OperationStatus,
  Service,
  Site,
  SiteBackup,
  SiteEvent,
  SiteSnapshot,
  type SiteStatus,
  Vm,
  type VmStatus,
} from '../../libs/domain';
import { failure } from '../../libs/failures';
import { queueNotification } from '../notify/queue';

export interface TransitionSiteInput {
  siteId: string;
  to: SiteStatus;
  action: string;
  summary: string;
  /** Ends this operation in the same transaction, so readers never see one without the other. */
  finish?: OperationOutcome;
  /** Who asked for the change, for the audit log; `system` when no one did. */
  actor?: string;
}

export interface OperationOutcome {
  operationId: string;
  status: Exclude<OperationStatus, 'running' | 'queued'>;
  error?: string;
}

/** A step of an operation's progress, written with another record in the same transaction. */
export interface ProgressReport {
  operationId: string;
  progress: number;
  step: string;
}

/** Moves a running operation's progress forward (never back); a finished one is left alone. */
export async function advanceProgress(em: Em, report: ProgressReport): Promise<void> {
  const progress = Math.min(100, Math.round(report.progress));
  await em.nativeUpdate(
    Operation,
    { id: report.operationId, status: 'running', progress: { $lte: progress } },
    { progress, step: report.step.slice(0, 200) },
  );
}

export interface RecordVmInput {
  vmId: string;
  /** Null for a VM built for the warm pool. */
  siteId: string | null;
  image?: string;
  cpus: number;
  memoryMb: number;
  diskGb: number;
}

/**
 * Projections of workflow progress into the read model (sites, VMs, operations) and the audit log.
 * Every activity here is idempotent: a retry after a commit changes nothing and appends no second
 * event.
 */
export function createRecordsActivities(deps: { orm: Orm }) {
  async function transitionSite(input: TransitionSiteInput): Promise<void> {
    await forkEm(deps.orm).transactional((em) => applyTransition(em, input));
  }

  async function recordVm(input: RecordVmInput): Promise<void> {
    const em = forkEm(deps.orm);
    if (await em.findOne(Vm, input.vmId)) return;
    try {
      await em.transactional((tx) => {
        tx.persist(new Vm({ ...input, id: input.vmId }));
        if (input.siteId === null) return;
        // A new site's first server is its production service.
        tx.persist(
          new Service({
            id: randomUUID(),
            siteId: input.siteId,
            kind: 'production',
            vmId: input.vmId,
          }),
        );
        tx.persist(event(input.siteId, 'vm.recorded', `server ${input.vmId} recorded`));
      });
    } catch (error) {
      // A retry raced its own first attempt: the row is there, which is all we wanted.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
  }

  async function setVmStatus(input: {
    vmId: string;
    status: VmStatus;
    hypervisorRef?: string;
    /** The host the hypervisor put it on. */
    host?: string | null;
    summary: string;
  }): Promise<void> {
    await forkEm(deps.orm).transactional(async (em) => {
      const vm = await em.findOne(Vm, input.vmId);
      if (!vm) throw failure('RecordNotFound', `server ${input.vmId} does not exist`);
      if (vm.status === input.status && input.hypervisorRef === undefined) return;
      vm.status = input.status;
      if (input.hypervisorRef !== undefined) vm.hypervisorRef = input.hypervisorRef;
      if (input.host !== undefined) vm.host = input.host;
      // Pool VMs have no site yet, and so no audit log to write to.
      if (vm.siteId !== null) {
        await appendOnce(em, event(vm.siteId, `vm.${input.status}`, input.summary));
      }
    });
  }

  async function reportProgress(input: {
    operationId: string;
    progress: number;
    step: string;
  }): Promise<void> {
    // One guarded UPDATE in the common case (the throughput benchmark counted four statements
    // per report before: a read, then a transaction around the write).
    const em = forkEm(deps.orm);
    const step = input.step.slice(0, 200);
    const progress = Math.min(100, Math.round(input.progress));
    const id = input.operationId;
    if (
      (await em.nativeUpdate(
        Operation,
        { id, status: 'running', progress: { $lte: progress } },
        { progress, step },
      )) === 1
    ) {
      return;
    }
    // Further along already: keep its progress, take the step. Finished: leave it.
    if ((await em.nativeUpdate(Operation, { id, status: 'running' }, { step })) === 1) return;
    if (!(await em.findOne(Operation, id, { fields: ['id'] }))) {
      throw failure('RecordNotFound', `operation ${id} does not exist`);
    }
  }

  async function finishOperation(input: OperationOutcome): Promise<void> {
    const em = forkEm(deps.orm);
    await finish(em, input);
    await em.flush();
  }

  /** Sets the site's own fields that are not its status; each change is audited. */
  async function setSiteFields(input: {
    siteId: string;
    renews?: boolean;
    suspensionReason?: string | null;
    deleteAfter?: string | null;
    /** Who asked for the change, for the audit log; `system` when no one did. */
    actor?: string;
  }): Promise<void> {
    await forkEm(deps.orm).transactional(async (em) => {
      const site = await em.findOne(Site, input.siteId);
      if (!site) throw failure('RecordNotFound', `site ${input.siteId} does not exist`);
      const changes: string[] = [];
      if (input.renews !== undefined && site.renews !== input.renews) {
        site.renews = input.renews;
        changes.push(input.renews ? 'renews' : 'will not renew');
      }
      if (
        input.suspensionReason !== undefined &&
        site.suspensionReason !== input.suspensionReason
      ) {
        site.suspensionReason = input.suspensionReason;
        changes.push(
          input.suspensionReason ? 'suspension reason set' : 'suspension reason cleared',
        );
      }
      if (input.deleteAfter !== undefined) {
        const deleteAfter = input.deleteAfter === null ? null : new Date(input.deleteAfter);
        if (site.deleteAfter?.getTime() !== deleteAfter?.getTime()) {
          site.deleteAfter = deleteAfter;
          changes.push(deleteAfter ? `deletion due ${input.deleteAfter}` : 'deletion called off');
        }
      }
      if (changes.length > 0) {
        const row = event(site.id, 'site.updated', changes.join('; '));
        if (input.actor) row.actor = input.actor;
        await appendOnce(em, row);
      }
    });
  }

  /** Records a power action's outcome and, for a site's server, audits who asked for it. */
  async function setVmPowerState(input: {
    vmId: string;
    powerState: 'poweredOn' | 'poweredOff';
    action?: 'on' | 'off' | 'reboot' | 'reset';
    actor?: string;
    /** The operation's next step, recorded with the power state (one round trip, not two). */
    progress?: ProgressReport;
  }): Promise<void> {
    await forkEm(deps.orm).transactional(async (em) => {
      const vm = await em.findOne(Vm, input.vmId);
      if (!vm) throw failure('RecordNotFound', `server ${input.vmId} does not exist`);
      vm.powerState = input.powerState;
      if (input.progress) await advanceProgress(em, input.progress);
      if (input.action && vm.siteId !== null) {
        const row = event(vm.siteId, `vm.power-${input.action}`, `power ${input.action}`);
        if (input.actor) row.actor = input.actor;
        await appendOnce(em, row);
      }
    });
  }

  /**
   * Removes a destroyed server's rows, its backups' and snapshots' too (the hypervisor destroyed
   * them with it); the audit log keeps its history.
   */
  async function forgetServer(input: { vmId: string }): Promise<void> {
    await forkEm(deps.orm).transactional(async (em) => {
      // A test server is the test service: without its server the site has none. Production
      // stays, waiting for its next server (a rebuild).
      await em.nativeDelete(Service, { vmId: input.vmId, kind: 'test' });
      await em.nativeUpdate(Service, { vmId: input.vmId }, { vmId: null });
      await em.nativeDelete(SiteBackup, { vmId: input.vmId });
      await em.nativeDelete(SiteSnapshot, { vmId: input.vmId });
      await em.nativeDelete(Vm, { id: input.vmId });
    });
  }

  return {
    transitionSite,
    recordVm,
    setVmStatus,
    reportProgress,
    finishOperation,
    setSiteFields,
    setVmPowerState,
    forgetServer,
  };
}

export type RecordsActivities = ReturnType<typeof createRecordsActivities>;

/**
 * Moves a site to a status by its state machine, audited, in the caller's transaction (and ends
 * an operation with it). Moving it where it already is changes nothing: retries are safe.
 */
export async function applyTransition(
  em: Em,
  input: TransitionSiteInput,
  /** Set when the activity writes another event too, so each has its own dedupe key. */
  dedupeSuffix = '',
): Promise<void> {
  const site = await em.findOne(Site, input.siteId);
  if (!site) throw failure('RecordNotFound', `site ${input.siteId} does not exist`);
  if (input.finish) await finish(em, input.finish);
  if (site.status === input.to) return;
  const from = site.status;
  try {
    site.moveTo(input.to);
  } catch (error) {
    if (error instanceof IllegalTransitionError) throw failure('IllegalTransition', error.message);
    throw error;
  }
  const row = event(input.siteId, input.action, input.summary, dedupeSuffix);
  if (input.actor) row.actor = input.actor;
  em.persist(row);
  // A deleted site's domain names are free for other sites to use.
  if (input.to === 'deleted') await em.nativeDelete(DomainName, { siteId: input.siteId });
  // Only provisioning goes from installing to ready: the site is ready for the first time.
  if (from === 'installing' && input.to === 'ready') await queueSiteReady(em, site);
}

/** Tells the site's people that their site is ready, in the transition's transaction, once. */
async function queueSiteReady(em: Em, site: Site): Promise<void> {
  // At its first readiness a site has one server, its production one.
  const production = await em.findOne(Service, { siteId: site.id, kind: 'production' });
  const network = production?.vmId
    ? await em.findOne(NetworkConfig, { vmId: production.vmId })
    : null;
  await queueNotification(em, {
    kind: 'site-ready',
    siteId: site.id,
    params: { siteName: site.name, hostname: network?.hostname ?? null },
    dedupeKey: `site-ready/${site.id}`,
  });
}

/** Marks a running operation finished; a finished one is left as it is (retries). */
async function finish(em: Em, outcome: OperationOutcome): Promise<void> {
  const operation = await em.findOne(Operation, outcome.operationId);
  if (!operation)
    throw failure('RecordNotFound', `operation ${outcome.operationId} does not exist`);
  if (operation.status !== 'running') return;
  operation.status = outcome.status;
  operation.finishedAt = new Date();
  if (outcome.status === 'succeeded') {
    operation.progress = 100;
    operation.step = 'done';
  } else {
    operation.step = 'failed';
    operation.error = (outcome.error ?? 'failed').slice(0, 500);
  }
}

/** An audit event attributed to the workflow run and activity that wrote it. */
export function event(
  siteId: string,
  action: string,
  summary: string,
  dedupeSuffix = '',
): SiteEvent {
  const { activityId, workflowExecution } = Context.current().info;
  const runId = workflowExecution?.runId ?? null;
  return new SiteEvent({
    siteId,
    actor: 'system',
    action,
    summary,
    workflowId: workflowExecution?.workflowId ?? null,
    runId,
    dedupeKey: runId ? `${runId}/${activityId}${dedupeSuffix}` : null,
  });
}

/** Appends the event unless the same activity execution wrote it already (a retry). */
export async function appendOnce(em: Em, row: SiteEvent): Promise<void> {
  if (row.dedupeKey && (await em.findOne(SiteEvent, { dedupeKey: row.dedupeKey }))) return;
  em.persist(row);
}
