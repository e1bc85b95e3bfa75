import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { type Principal } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { takeTurn } from '../../../libs/db/turn';
import { type Em, forkEm, type Orm } from '../../../libs/db/orm';
import { Operation, Site, SiteEvent } from '../../../libs/domain';
import { type Logger } from '../../../libs/logger';
import { queuedUpgradeStep } from '../../../libs/upgrades/upgrade-queue';
import { siteWorkflowId } from '../../../libs/temporal/names';
import { changeRules, refusal, settledStatus } from '../../../workflows/site-lifecycle';
import { changeSiteUpdate, type SiteChange } from '../../../workflows/site.messages';
import { badUserInput, serviceUnavailable } from '../graphql/graphql-errors';
import { IdempotencyKeyReusedError } from '../graphql/user-error';
import { BERTH_CONFIG, LOGGER, ORM, TEMPORAL_CLIENT } from '../tokens';
import {
  IllegalTransitionError,
  SiteNotFoundError,
  SiteOperationPayload,
  type SiteOperationResult,
} from './change-site.payload';
import { toOperationModel } from './site.mapper';

/** A refusal judged on a status the database has moved past is sent again, this often at most. */
const catchUpAttempts = 4;
const catchUpDelayMs = 100;

/**
 * Sends a change to a site's workflow as an Update. The api writes the Operation row first and
 * uses its id as the Update id, so a retried request (same idempotency key) is one operation and
 * one Update; a change the workflow's validator refuses leaves no row behind.
 */
@Injectable()
export class SiteChangesService {
  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(ORM) private readonly orm: Orm,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async change(
    principal: Principal,
    siteId: string,
    change: SiteChange,
    idempotencyKey: string | null,
    /** What a repeated key must match, when more than the change itself (a vhost's fields). */
    request: unknown = change,
  ): Promise<SiteOperationResult> {
    const em = forkEm(this.orm);
    const site = await em.findOne(Site, { id: siteId });
    if (!site) return new SiteNotFoundError('no such site');
    if (site.status === 'deleted') return new IllegalTransitionError('the site is deleted');
    const fingerprint = fingerprintOf(request);

    if (idempotencyKey !== null) {
      const existing = await em.findOne(Operation, { siteId, idempotencyKey });
      if (existing) return this.repeat(existing, fingerprint, principal, change);
    }
    const operation = newOperation(principal, siteId, change.kind, idempotencyKey, fingerprint);
    try {
      await em.persistAndFlush(operation);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException) || idempotencyKey === null)
        throw error;
      const raced = await forkEm(this.orm).findOneOrFail(Operation, { siteId, idempotencyKey });
      return this.repeat(raced, fingerprint, principal, change);
    }
    let refused: IllegalTransitionError | undefined;
    try {
      refused = await this.send(operation, principal, change);
    } catch (error) {
      // Not accepted: leave no operation behind that would never finish.
      await forkEm(this.orm).nativeDelete(Operation, { id: operation.id });
      throw error;
    }
    if (refused) {
      await forkEm(this.orm).nativeDelete(Operation, { id: operation.id });
      return refused;
    }
    this.log.info(
      { siteId, operationId: operation.id, change: change.kind },
      'site change accepted',
    );
    return this.payload(operation);
  }

  /**
   * Writes the change as a `queued` operation, not sent to the site's workflow: an OS upgrade
   * waiting for room under BERTH_MAX_PENDING_UPGRADES, which the `upgrade-queue` schedule sends
   * (libs/upgrades). It is refused now if the workflow would refuse it now; a site has at most
   * one queued upgrade, which a second request is answered with.
   */
  async enqueue(
    principal: Principal,
    siteId: string,
    change: Extract<SiteChange, { kind: 'upgrade' }>,
    idempotencyKey: string | null,
  ): Promise<SiteOperationResult> {
    const em = forkEm(this.orm);
    const site = await em.findOne(Site, { id: siteId });
    if (!site) return new SiteNotFoundError('no such site');
    const fingerprint = fingerprintOf(change);
    if (idempotencyKey !== null) {
      const existing = await em.findOne(Operation, { siteId, idempotencyKey });
      if (existing) return this.repeat(existing, fingerprint, principal, change);
    }
    const refused = refusal(change, settledStatus(site.status));
    if (refused) return new IllegalTransitionError(refused);
    const operation = newOperation(principal, siteId, change.kind, idempotencyKey, fingerprint);
    operation.status = 'queued';
    operation.step = queuedUpgradeStep;
    let answer: Operation | IllegalTransitionError;
    try {
      answer = await em.transactional(async (tx) => {
        // One request for the site at a time, so that it never has two queued upgrades.
        await takeTurn(tx, this.config.database.driver, `upgrade-queue/${siteId}`);
        const upgrades = await tx.find(Operation, {
          siteId,
          kind: 'upgrade',
          status: { $in: ['queued', 'running'] },
        });
        const waiting = upgrades.find((row) => row.status === 'queued');
        if (waiting) return waiting;
        if (upgrades.length > 0) {
          return new IllegalTransitionError('an upgrade is already waiting for approval');
        }
        tx.persist(operation);
        tx.persist(
          new SiteEvent({
            siteId,
            actor: principal.userId,
            action: 'upgrade.queued',
            // The image is the one due when it starts: an operator may change the plan meanwhile.
            summary: `upgrade queued (to ${change.image} as planned now): as many upgrades as allowed are running`,
            dedupeKey: `upgrade.queued/${operation.id}`,
          }),
        );
        return operation;
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException) || idempotencyKey === null)
        throw error;
      const raced = await forkEm(this.orm).findOneOrFail(Operation, { siteId, idempotencyKey });
      return this.repeat(raced, fingerprint, principal, change);
    }
    if (answer instanceof IllegalTransitionError) return answer;
    if (answer === operation) {
      this.log.info({ siteId, operationId: operation.id }, 'upgrade queued');
    }
    return this.payload(answer);
  }

  /**
   * Calls off the site's queued upgrade, if it has one that has not been sent yet: the upgrade's
   * operation fails, and the answer is a `cancel-upgrade` operation that has already succeeded.
   * Undefined when there is none to call off here (the workflow then judges the request).
   */
  async withdrawQueued(
    principal: Principal,
    siteId: string,
    idempotencyKey: string | null,
  ): Promise<SiteOperationResult | undefined> {
    const em = forkEm(this.orm);
    const queued = await em.findOne(Operation, { siteId, kind: 'upgrade', status: 'queued' });
    if (!queued) return undefined;
    const now = new Date();
    const change: SiteChange = { kind: 'cancel-upgrade' };
    const cancel = newOperation(
      principal,
      siteId,
      change.kind,
      idempotencyKey,
      fingerprintOf(change),
    );
    Object.assign(cancel, {
      status: 'succeeded',
      progress: 100,
      step: 'called off the queued upgrade',
      finishedAt: now,
    });
    const withdrawn = await em.transactional(async (tx) => {
      // Guarded: the schedule may be sending it this moment, and then the workflow decides.
      const failed = await tx.nativeUpdate(
        Operation,
        { id: queued.id, status: 'queued' },
        {
          status: 'failed',
          step: 'called off',
          error: `called off by ${principal.userId} before it started`,
          finishedAt: now,
          updatedAt: now,
        },
      );
      if (failed !== 1) return false;
      tx.persist(cancel);
      tx.persist(
        new SiteEvent({
          siteId,
          actor: principal.userId,
          action: 'upgrade.withdrawn',
          summary: 'queued upgrade called off before it started',
          dedupeKey: `upgrade.withdrawn/${queued.id}`,
        }),
      );
      return true;
    });
    if (!withdrawn) return undefined;
    this.log.info({ siteId, operationId: queued.id }, 'queued upgrade called off');
    return this.payload(cancel);
  }

  /**
   * Whether a request repeats one already made with its idempotency key: it is then answered by
   * its first operation, whatever the site has now, so the checks made before sending are skipped.
   */
  async isRepeat(input: { siteId: string; idempotencyKey?: string }): Promise<boolean> {
    if (input.idempotencyKey === undefined) return false;
    const key = { siteId: input.siteId, idempotencyKey: input.idempotencyKey };
    return (await forkEm(this.orm).count(Operation, key)) > 0;
  }

  /**
   * A configuration change repeated with an idempotency key already used: its first operation,
   * or IDEMPOTENCY_KEY_REUSED for other input; undefined when the key is new (or absent).
   */
  async repeatedConfiguration(
    principal: Principal,
    input: { siteId: string; idempotencyKey?: string },
    request: object,
  ): Promise<SiteOperationResult | undefined> {
    if (!input.idempotencyKey) return undefined;
    const existing = await forkEm(this.orm).findOne(Operation, {
      siteId: input.siteId,
      idempotencyKey: input.idempotencyKey,
    });
    if (!existing) return undefined;
    return this.change(
      principal,
      input.siteId,
      { kind: 'configure' },
      input.idempotencyKey,
      request,
    );
  }

  /**
   * Asks for the configuration run of a change already written as the site's intent. Once the
   * site workflow accepts it, the change is audited (with the notifications it explains, in one
   * transaction); when it is refused or cannot be sent, `undo` takes the intent back, so a refusal
   * leaves nothing changed.
   */
  async configureChange(
    principal: Principal,
    input: { siteId: string; idempotencyKey?: string },
    request: object,
    then: {
      undo: () => Promise<unknown>;
      action: string;
      summary: string;
      /** Queues notifications in the audit event's transaction. */
      notify?: (em: Em) => Promise<void>;
    },
  ): Promise<SiteOperationResult> {
    let result: SiteOperationResult;
    try {
      result = await this.change(
        principal,
        input.siteId,
        { kind: 'configure' },
        input.idempotencyKey ?? null,
        request,
      );
    } catch (error) {
      await then.undo();
      throw error;
    }
    if (!(result instanceof SiteOperationPayload)) {
      await then.undo();
      return result;
    }
    try {
      const em = forkEm(this.orm);
      em.persist(
        new SiteEvent({
          siteId: input.siteId,
          actor: principal.userId,
          action: then.action,
          summary: then.summary.slice(0, 500),
          dedupeKey: `${then.action}/${result.operation.id}`,
        }),
      );
      await then.notify?.(em);
      await em.flush();
    } catch (error) {
      // A concurrent retry with the same idempotency key (it got the same operation from
      // change()'s race path) audited it first; this answer is the same operation.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
    return result;
  }

  private async repeat(
    operation: Operation,
    fingerprint: string,
    principal: Principal,
    change: SiteChange,
  ): Promise<SiteOperationResult> {
    if (operation.requestFingerprint !== fingerprint) {
      return new IdempotencyKeyReusedError(
        'this idempotency key was used for a different change',
        'idempotencyKey',
      );
    }
    // Queued: not sent yet (the upgrade-queue schedule sends it, with this id). Ended: accepted
    // long ago, or never needed the workflow (a queued upgrade called off); nothing to send.
    if (operation.status !== 'running') return this.payload(operation);
    // The Update id is the operation id: Temporal answers a repeat without applying it twice.
    const refused = await this.send(operation, principal, change);
    return refused ?? this.payload(await forkEm(this.orm).findOneOrFail(Operation, operation.id));
  }

  /** Returns the typed refusal, or undefined once the workflow has accepted the change. */
  private async send(
    operation: Operation,
    principal: Principal,
    change: SiteChange,
    attempt = 1,
  ): Promise<IllegalTransitionError | undefined> {
    if (operation.siteId === null) throw new Error(`operation ${operation.id} has no site`);
    try {
      await this.temporal.workflow
        .getHandle(siteWorkflowId(operation.siteId))
        .executeUpdate(changeSiteUpdate, {
          updateId: operation.id,
          args: [{ operationId: operation.id, actor: principal.userId, change }],
        });
      return undefined;
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
        if (error.cause.type === 'IllegalTransition') {
          if (
            attempt < catchUpAttempts &&
            (await this.behind(operation.siteId, change, error.cause))
          ) {
            await delay(catchUpDelayMs * attempt);
            return this.send(operation, principal, change, attempt + 1);
          }
          return new IllegalTransitionError(error.cause.message);
        }
        // The workflow's own check of a change's data (the api checks it first).
        if (error.cause.type === 'InvalidChange') {
          throw badUserInput([{ field: 'input', message: error.cause.message }]);
        }
      }
      this.log.error({ siteId: operation.siteId, err: error }, 'sending a site change failed');
      throw serviceUnavailable('The workflow engine');
    }
  }

  /**
   * Whether a refusal came from a workflow that has not yet seen what the database already says:
   * an operation ends in the transaction that moves the site on, and a client told it ended may
   * send a change that the workflow validates before it applies that move (the SDK runs an
   * Update's validator before the activity results of the same activation). Such a change is sent
   * again shortly, up to `catchUpAttempts` times; a refusal for any other reason stands.
   */
  private async behind(
    siteId: string,
    change: SiteChange,
    refusal: ApplicationFailure,
  ): Promise<boolean> {
    const judged = refusal.details?.[0];
    if (typeof judged !== 'string') return false;
    const site = await forkEm(this.orm).findOne(Site, siteId, { fields: ['status'] });
    if (site === null) return false;
    const now = settledStatus(site.status);
    return now !== judged && changeRules[change.kind].from.includes(now);
  }

  private payload(operation: Operation): SiteOperationPayload {
    return Object.assign(new SiteOperationPayload(), { operation: toOperationModel(operation) });
  }
}

/** What a repeated idempotency key must match: the request, hashed. */
function fingerprintOf(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

/** A new operation of the site's workflow, asked for by the principal. */
function newOperation(
  principal: Principal,
  siteId: string,
  kind: SiteChange['kind'],
  idempotencyKey: string | null,
  requestFingerprint: string,
): Operation {
  return new Operation({
    id: randomUUID(),
    siteId,
    kind,
    workflowId: siteWorkflowId(siteId),
    requestedBy: principal.userId,
    idempotencyKey,
    requestFingerprint,
  });
}
