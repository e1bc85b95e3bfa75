import {
  condition,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { OperationOutcome, RecordsActivities } from '../activities/records/activities';
import { type SiteStatus } from '../libs/domain/site-status';
import { describeFailure } from '../libs/failures';
import { provisionWorkflowId, searchAttributes } from '../libs/temporal/names';
import { quickCall } from './activity-options';
import { provisionVm } from './provision-vm';
import { type SiteInput, type SiteState, siteStateQuery } from './site.messages';

/**
 * The entity workflow of one site, `site/<siteId>`: it provisions the site's server and then
 * stays, so that every later change to the site is serialised through it. Status changes are
 * written to the database by activities and mirrored in the BerthStatus search attribute.
 */
export async function site(input: SiteInput): Promise<void> {
  const records = proxyActivities<RecordsActivities>(quickCall);
  const state: SiteState = {
    siteId: input.siteId,
    status: 'requested',
    vmId: null,
    hostname: null,
  };
  setHandler(siteStateQuery, () => state);

  const moveTo = async (
    to: SiteStatus,
    action: string,
    summary: string,
    finish?: OperationOutcome,
  ) => {
    await records.transitionSite({ siteId: input.siteId, to, action, summary, finish });
    state.status = to;
    upsertSearchAttributes([{ key: searchAttributes.status, value: to }]);
  };

  await moveTo('installing', 'site.installing', 'provisioning started');
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

  // The site lives on: later changes arrive here as Updates. TODO(#3): lifecycle Updates, and
  // continue-as-new before the history grows large.
  await condition(() => false);
}
