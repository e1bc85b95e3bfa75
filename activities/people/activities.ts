import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { forkEm, type Orm } from '../../libs/db/orm';
import { ConfigurationRun, Operation, Site, SiteEvent, SiteRole } from '../../libs/domain';
import { type TemporalClientSource } from '../../libs/temporal/lazy-client';
import { siteWorkflowId } from '../../libs/temporal/names';
import { changeSiteUpdate } from '../../workflows/site.messages';
import { peopleDigest, sitePeople } from '../ansible/site-data';
import { type Directory } from '../directory/port';

/** At most this many sites are reported changed per refresh; the rest are found by the next. */
export const maxChangedSitesPerRefresh = 500;

export interface ChangedPeople {
  siteId: string;
  /** In words, for the audit log: who the site's people are now. */
  summary: string;
}

export interface ChangedPeopleReport {
  /** Ready sites with a role granted to a directory group, whose people were read. */
  checked: number;
  changed: ChangedPeople[];
}

export interface RequestConfigurationResult {
  /** False when the site's status refused a configuration run (it moved on since the check). */
  requested: boolean;
  operationId: string | null;
}

/**
 * The periodic refresh of sites' people from the directory (the old "refresh VM users" job):
 * roles granted to directory groups reach a server only through a configuration run, so a site
 * whose groups' members changed since its last successful run is given one.
 */
export function createPeopleActivities(deps: {
  orm: Orm;
  directory: Directory;
  /** The worker's client, for the sites' workflows' Updates. */
  temporal: TemporalClientSource;
}) {
  const { temporal } = deps;

  /**
   * Ready sites whose people, as the directory has them now, differ from those their latest
   * successful configuration run applied (or whose run recorded none). A directory error fails
   * the activity, to be retried: an unreachable directory never reads as "nobody".
   */
  async function sitesWithChangedPeople(): Promise<ChangedPeopleReport> {
    const em = forkEm(deps.orm);
    const groupRoles = await em.find(
      SiteRole,
      { subjectType: 'group' },
      { fields: ['siteId'], orderBy: { siteId: 'asc' } },
    );
    const siteIds = [...new Set(groupRoles.map((role) => role.siteId))];
    const sites = siteIds.length
      ? await em.find(
          Site,
          { id: { $in: siteIds }, status: 'ready' },
          { fields: ['id'], orderBy: { id: 'asc' } },
        )
      : [];
    const changed: ChangedPeople[] = [];
    let checked = 0;
    for (const site of sites) {
      if (changed.length >= maxChangedSitesPerRefresh) break;
      Context.current().heartbeat({ checked });
      const people = await sitePeople(deps.orm, site.id, deps.directory);
      checked += 1;
      const lastRun = await em.findOne(
        ConfigurationRun,
        { siteId: site.id, status: 'succeeded' },
        { fields: ['peopleDigest'], orderBy: { finishedAt: 'desc', startedAt: 'desc' } },
      );
      if (lastRun?.peopleDigest === peopleDigest(people)) continue;
      const uids = people.users.map((user) => user.uid).join(', ');
      changed.push({
        siteId: site.id,
        summary:
          `the site's directory groups changed; its users are now: ${uids || 'nobody'}`.slice(
            0,
            500,
          ),
      });
    }
    return { checked, changed };
  }

  /**
   * Asks the site's workflow for a configuration run, as the api does for a user's change: an
   * Operation (requested by `system`, keyed by this workflow run and site, so a retried activity
   * is one operation) and the `changeSite` Update with its id. A status that refuses it removes
   * the operation and is reported, not thrown.
   */
  async function requestConfiguration(input: ChangedPeople): Promise<RequestConfigurationResult> {
    const { workflowExecution } = Context.current().info;
    const runId = workflowExecution?.runId ?? 'no-workflow';
    const idempotencyKey = `people-refresh/${runId}/${input.siteId}`;
    const em = forkEm(deps.orm);
    let operation = await em.findOne(Operation, { siteId: input.siteId, idempotencyKey });
    if (!operation) {
      operation = new Operation({
        id: randomUUID(),
        siteId: input.siteId,
        kind: 'configure',
        workflowId: siteWorkflowId(input.siteId),
        requestedBy: 'system',
        idempotencyKey,
      });
      try {
        await em.persistAndFlush(operation);
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        operation = await forkEm(deps.orm).findOneOrFail(Operation, {
          siteId: input.siteId,
          idempotencyKey,
        });
      }
    }
    try {
      await (
        await temporal.get()
      ).workflow
        .getHandle(siteWorkflowId(input.siteId))
        .executeUpdate(changeSiteUpdate, {
          updateId: operation.id,
          args: [{ operationId: operation.id, actor: 'system', change: { kind: 'configure' } }],
        });
    } catch (error) {
      if (
        error instanceof WorkflowUpdateFailedError &&
        error.cause instanceof ApplicationFailure &&
        error.cause.type === 'IllegalTransition'
      ) {
        await forkEm(deps.orm).nativeDelete(Operation, { id: operation.id });
        return { requested: false, operationId: null };
      }
      throw error;
    }
    const dedupeKey = `people-refresh/${runId}/${input.siteId}`;
    const audit = forkEm(deps.orm);
    if (!(await audit.findOne(SiteEvent, { dedupeKey }))) {
      await audit.persistAndFlush(
        new SiteEvent({
          siteId: input.siteId,
          actor: 'system',
          action: 'site.people-changed',
          summary: input.summary,
          workflowId: workflowExecution?.workflowId ?? null,
          runId: workflowExecution?.runId ?? null,
          dedupeKey,
        }),
      );
    }
    return { requested: true, operationId: operation.id };
  }

  return { sitesWithChangedPeople, requestConfiguration };
}

export type PeopleActivities = ReturnType<typeof createPeopleActivities>;
