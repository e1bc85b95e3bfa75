import { proxyActivities } from '@temporalio/workflow';
import type { PeopleActivities } from '../activities/people/activities';
import { directorySweep, quickCall } from './activity-options';

export interface RefreshSitePeopleResult {
  /** Ready sites with a directory group role whose people were read. */
  checked: number;
  /** Of those, sites whose people differ from what their last configuration run applied. */
  changed: number;
  /** Configuration runs asked for. */
  requested: number;
  /** Sites whose status refused a run by the time it was asked for (next refresh tries again). */
  refused: number;
}

/** Sites whose configuration runs are asked for at once. */
const requestsAtOnce = 5;

/**
 * Refreshes sites' users from the directory (the old "refresh VM users" job): finds the ready
 * sites whose directory groups' members changed since their last successful configuration run,
 * and asks each site's workflow for one run. Run by the `site-people-refresh` schedule; the
 * counts are the workflow's result, readable in the Temporal UI.
 */
export async function refreshSitePeople(
  _input: Record<string, never> = {},
): Promise<RefreshSitePeopleResult> {
  const { sitesWithChangedPeople } = proxyActivities<PeopleActivities>(directorySweep);
  const { requestConfiguration } = proxyActivities<PeopleActivities>(quickCall);
  const report = await sitesWithChangedPeople();
  let requested = 0;
  let refused = 0;
  for (let start = 0; start < report.changed.length; start += requestsAtOnce) {
    const results = await Promise.all(
      report.changed.slice(start, start + requestsAtOnce).map((site) => requestConfiguration(site)),
    );
    for (const result of results) {
      if (result.requested) requested += 1;
      else refused += 1;
    }
  }
  return { checked: report.checked, changed: report.changed.length, requested, refused };
}
