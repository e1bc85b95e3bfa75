import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../helpers/berth';

const folder = join(__dirname, '../../fixtures/histories');
const histories = readdirSync(folder).filter((file) => file.endsWith('.json'));

function load(file: string): unknown {
  return JSON.parse(readFileSync(join(folder, file), 'utf8'));
}

/**
 * Recorded histories (test/fixtures/histories, refreshed with BERTH_RECORD_HISTORIES=1) must replay
 * with the current workflow code: a change that would break running workflows fails here. Such a
 * change must go behind `patched()` instead.
 */
describe('workflow replay', () => {
  it('has recorded histories to replay', () => {
    // site.json and provision-vm.json: the first version (issue #2), before lifecycle changes;
    // site-lifecycle.json: a site taken through disable, enable, suspension and cancellation;
    // provision-vm-forget-token.json: a build that also takes the callback secret off the VM
    // after the install (the `forget-callback-token` patch);
    // provision-vm-local-calls.json: a build since database calls became local activities
    // (the `local-database-calls` patch); site-warm-pool.json: a site served from the warm pool,
    // topping the pool up after the claim (the `top-up-pool-after-claim` patch);
    // site-warm-pool-claim-steps.json: the same since the claim also records the move to
    // installing and the progress (the `warm-claim-fewer-steps` patch);
    // host-evacuation.json and host-failover.json: fleet operations (issue #4);
    // provision-vm-dns.json and site-dns-delete.json: a build that makes host keys and publishes
    // DNS first, and a site deleted with its records (the `network-dns-keys` patch, issue #5);
    // site-ansible-runs.json: configuration runs on the ansible task queue, changes during a run
    // coalesced into one follow-up (the `ansible-task-queue` patch, issue #6);
    // site-snapshots.json: a snapshot taken, reverted to and deleted (issue #8);
    // site-test-server.json, clone-server.json and switch-servers.json: a test server cloned,
    // swapped with production and deleted; site-upgrade.json: an upgrade tried on a test server
    // made for it, approved and done to production under a snapshot; site-backups.json: a nightly
    // backup on the site workflow's timer (the `nightly-backups` patch), pruned;
    // check-certificates.json and deliver-notifications.json: the schedules' workflows (issue #8).
    expect(histories).toEqual(
      expect.arrayContaining([
        'site.json',
        'provision-vm.json',
        'site-lifecycle.json',
        'provision-vm-local-calls.json',
        'provision-vm-forget-token.json',
        'site-warm-pool.json',
        'site-warm-pool-claim-steps.json',
        'host-evacuation.json',
        'host-failover.json',
        'provision-vm-dns.json',
        'site-dns-delete.json',
        'site-ansible-runs.json',
        'site-snapshots.json',
        'site-test-server.json',
        'clone-server.json',
        'switch-servers.json',
        'site-upgrade.json',
        'site-backups.json',
        'check-certificates.json',
        'deliver-notifications.json',
      ]),
    );
  });

  it.each(histories)('replays %s with the current workflow code', async (file) => {
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, load(file));
  });

  it('rejects a workflow whose commands no longer match the history', async () => {
    const incompatible = await bundleWorkflowCode({
      workflowsPath: join(__dirname, '../../fixtures/workflows/site-reordered.ts'),
      logger: {
        log: () => undefined,
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      },
    });
    await expect(
      Worker.runReplayHistory({ workflowBundle: incompatible }, load('site.json')),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
