import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { forkEm, type Orm } from '../../libs/db/orm';
import { Operation, SiteEvent } from '../../libs/domain';
import { type TemporalClientSource } from '../../libs/temporal/lazy-client';
import { siteWorkflowId } from '../../libs/temporal/names';
import { siteChangeRefusal } from '../../libs/temporal/site-change-refusal';
import { changeSiteUpdate } from '../../workflows/site.messages';

export interface RequestConfigurationResult {
  /**
   * False when the site's status refused a configuration run (it moved on since the check), or
   * the site has no workflow to run one (it was deleted).
   */
  requested: boolean;
  operationId: string | null;
}

/**
 * Asks a site's workflow for a configuration run on the system's behalf, as the api does for a
 * user's change: an Operation (requested by `system`, under `idempotencyKey`, so a retried
 * activity is one operation) and the `changeSite` Update with its id; then, if given, the site
 * event that says why, once. A status that refuses the run, or a site whose workflow has ended,
 * removes the operation and is reported, not thrown.
 */
export async function requestConfiguration(
  deps: { orm: Orm; temporal: TemporalClientSource },
  input: {
    siteId: string;
    idempotencyKey: string;
    event?: { action: string; summary: string; workflowId: string | null; runId: string | null };
  },
): Promise<RequestConfigurationResult> {
  const { siteId, idempotencyKey } = input;
  const em = forkEm(deps.orm);
  let operation = await em.findOne(Operation, { siteId, idempotencyKey });
  if (!operation) {
    operation = new Operation({
      id: randomUUID(),
      siteId,
      kind: 'configure',
      workflowId: siteWorkflowId(siteId),
      requestedBy: 'system',
      idempotencyKey,
    });
    try {
      await em.persistAndFlush(operation);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      operation = await forkEm(deps.orm).findOneOrFail(Operation, { siteId, idempotencyKey });
    }
  }
  try {
    await (
      await deps.temporal.get()
    ).workflow
      .getHandle(siteWorkflowId(siteId))
      .executeUpdate(changeSiteUpdate, {
        updateId: operation.id,
        args: [{ operationId: operation.id, actor: 'system', change: { kind: 'configure' } }],
      });
  } catch (error) {
    if (siteChangeRefusal(error) !== undefined) {
      await forkEm(deps.orm).nativeDelete(Operation, { id: operation.id });
      return { requested: false, operationId: null };
    }
    throw error;
  }
  const audit = forkEm(deps.orm);
  if (input.event && !(await audit.findOne(SiteEvent, { dedupeKey: idempotencyKey }))) {
    await audit.persistAndFlush(
      new SiteEvent({
        siteId,
        actor: 'system',
        ...input.event,
        dedupeKey: idempotencyKey,
      }),
    );
  }
  return { requested: true, operationId: operation.id };
}
