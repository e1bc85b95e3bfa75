import { Context } from '@temporalio/activity';
import {
  advanceProgress,
  applyTransition,
  type ProgressReport,
  type TransitionSiteInput,
} from '../records/activities';
import { randomUUID } from 'node:crypto';
import { forkEm, type Orm } from '../../libs/db/orm';
import { NetworkConfig, Service, SiteEvent, Vm } from '../../libs/domain';

export interface PooledServer {
  vmId: string;
  hostname: string;
  ipv4: string;
  ipv6: string;
}

/** VMs per image that are claimed first: a few candidates, in case others take the first ones. */
const claimCandidates = 10;

/**
 * The warm pool: VMs built, configured and powered off ahead of time, handed to a site on request
 * (MWS3's preallocated sites). A claim is one conditional UPDATE, so two sites never get one VM;
 * a retried claim finds the VM its site already holds.
 */
export function createPoolActivities(deps: { orm: Orm }) {
  /** VMs of an image that are ready in the pool, and those still being built for it. */
  async function poolLevel(input: { image: string }): Promise<{ ready: number; building: number }> {
    const em = forkEm(deps.orm);
    const [ready, building] = await Promise.all([
      em.count(Vm, { siteId: null, image: input.image, status: 'pooled' }),
      forkEm(deps.orm).count(Vm, {
        siteId: null,
        image: input.image,
        status: { $in: ['creating', 'installing', 'installed', 'configuring', 'ready'] },
      }),
    ]);
    return { ready, building };
  }

  async function claimPooledVm(input: {
    siteId: string;
    image: string;
    /** The provisioning's next step, recorded with the claim (one round trip, not two). */
    progress?: ProgressReport;
    /** The site's move to installing, made with the claim when it gets a VM. */
    transition?: TransitionSiteInput;
  }): Promise<PooledServer | null> {
    const held = await forkEm(deps.orm).findOne(Vm, { siteId: input.siteId });
    if (held) return describe(held.id);
    // Every lost race means another claim took a VM, so re-reading after losing a whole batch
    // ends once the pool is empty; a claim never gives up while a VM is left.
    for (;;) {
      const candidates = await forkEm(deps.orm).find(
        Vm,
        { siteId: null, image: input.image, status: 'pooled' },
        { orderBy: { createdAt: 'asc' }, limit: claimCandidates, fields: ['id'] },
      );
      if (candidates.length === 0) return null;
      for (const { id } of candidates) {
        if (await claimVm(input.siteId, id, input)) return describe(id);
      }
    }
  }

  /** Claims one VM for a site; false when another claim got it first. */
  async function claimVm(
    siteId: string,
    vmId: string,
    also: { progress?: ProgressReport; transition?: TransitionSiteInput },
  ): Promise<boolean> {
    return forkEm(deps.orm).transactional(async (em) => {
      // The guard in the WHERE clause settles races: only one claim can see site_id null.
      const claimed = await em.nativeUpdate(
        Vm,
        { id: vmId, siteId: null, status: 'pooled' },
        { siteId, status: 'ready' },
      );
      if (claimed !== 1) return false;
      if (also.progress) await advanceProgress(em, also.progress);
      if (also.transition) await applyTransition(em, also.transition, '/transition');
      await em.nativeUpdate(NetworkConfig, { vmId }, { siteId });
      em.persist(
        new Service({
          id: randomUUID(),
          siteId,
          kind: 'production',
          vmId,
        }),
      );
      const { workflowExecution, activityId } = Context.current().info;
      em.persist(
        new SiteEvent({
          siteId,
          actor: 'system',
          action: 'vm.claimed',
          summary: `server ${vmId} taken from the warm pool`,
          workflowId: workflowExecution?.workflowId ?? null,
          runId: workflowExecution?.runId ?? null,
          dedupeKey: workflowExecution ? `${workflowExecution.runId}/${activityId}` : null,
        }),
      );
      return true;
    });
  }

  async function describe(vmId: string): Promise<PooledServer> {
    const network = await forkEm(deps.orm).findOneOrFail(NetworkConfig, { vmId });
    return { vmId, hostname: network.hostname, ipv4: network.ipv4, ipv6: network.ipv6 };
  }

  return { poolLevel, claimPooledVm };
}

export type PoolActivities = ReturnType<typeof createPoolActivities>;
