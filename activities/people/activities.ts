import { Context } from '@temporalio/activity';
import { forkEm, type Orm } from '../../libs/db/orm';
import { ConfigurationRun, Site, SiteRole } from '../../libs/domain';
import { type TemporalClientSource } from '../../libs/temporal/lazy-client';
import { peopleDigest, sitePeople } from '../ansible/site-data';
import {
  requestConfiguration,
  type RequestConfigurationResult,
} from '../records/request-configuration';
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

  /** A configuration run for a site whose people changed (see requestConfiguration). */
  async function requestPeopleConfiguration(
    input: ChangedPeople,
  ): Promise<RequestConfigurationResult> {
    const { workflowExecution } = Context.current().info;
    const runId = workflowExecution?.runId ?? 'no-workflow';
    return requestConfiguration(deps, {
      siteId: input.siteId,
      idempotencyKey: `people-refresh/${runId}/${input.siteId}`,
      event: {
        action: 'site.people-changed',
        summary: input.summary,
        workflowId: workflowExecution?.workflowId ?? null,
        runId: workflowExecution?.runId ?? null,
      },
    });
  }

  return { sitesWithChangedPeople, requestConfiguration: requestPeopleConfiguration };
}

export type PeopleActivities = ReturnType<typeof createPeopleActivities>;
