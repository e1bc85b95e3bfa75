import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { forkEm, type Orm } from '../../libs/db/orm';
import { ConfigurationRun, type ConfigurationRunStatus, SiteEvent, Vm } from '../../libs/domain';
import { failure, type FailureType } from '../../libs/failures';
import {
  type Ansible,
  type ConfigurationTarget,
  ConfigurationRunError,
  type RunControl,
  type RunReport,
  type RunSummary,
} from './port';
import { type Directory } from '../directory/port';
import { settleDatabasePassword } from '../keys/server-secrets';
import { peopleDigest, siteConfiguration } from './site-data';

export interface ConfigureServerInput extends ConfigurationTarget {
  /** The operation the run belongs to, when the workflow has one; its runs list this one. */
  operationId?: string | null;
}

export interface UpgradeServerInput extends ConfigureServerInput {
  /** The OS image the server is to run (`debian-13`); its Debian suite is in `osReleases`. */
  image: string;
}

/** What a recorded run sets on its row besides the report. */
interface RunRecord {
  peopleDigest: string | null;
}

/** Between heartbeats while a task runs without reporting (a long package install). */
const heartbeatEveryMs = 10_000;

/**
 * Configuration activities. `configureServer` reads the site's data as it is now and runs the
 * adapter; `upgradeServer` upgrades the server's OS in place to an image's Debian release and
 * records the server's new image. Both record each attempt as a ConfigurationRun row (counts,
 * failed task, output), heartbeat the current task, so a run whose worker died is retried
 * promptly, and end a cancelled run's processes before reporting the cancellation. Both are
 * idempotent, as the playbooks are.
 */
export function createAnsibleActivities(deps: {
  ansible: Ansible;
  orm: Orm;
  secretKey: Buffer;
  /** Expands roles granted to directory groups into their members. */
  directory?: Directory;
  /** OS image → Debian suite (BERTH_OS_RELEASES). */
  osReleases: ReadonlyMap<string, string>;
}) {
  async function configureServer(input: ConfigureServerInput): Promise<RunSummary> {
    return recordedRun(input, `configuring ${input.hostname}`, async (target, control, record) => {
      const { vars, secrets, pendingDatabasePassword } = await siteConfiguration(
        deps.orm,
        deps.secretKey,
        target,
        deps.directory,
      );
      if (target.siteId) {
        record.peopleDigest = peopleDigest({
          users: vars.berth.users.map(({ uid, name, admin }) => ({ uid, name, admin })),
          unix_groups: vars.berth.unix_groups,
        });
      }
      const report = await deps.ansible.configure({ target, vars, secrets }, control);
      // The server has the reset password now (a failed run throws, and leaves it waiting).
      if (pendingDatabasePassword !== null) {
        await settleDatabasePassword(forkEm(deps.orm), target.vmId, pendingDatabasePassword);
      }
      return report;
    });
  }

  /**
   * Upgrades the server to `input.image`'s Debian release, then records the image on its Vm row
   * with a `vm.upgraded` event on its site. An image without a release is refused before anything
   * runs, and not retried.
   */
  async function upgradeServer(input: UpgradeServerInput): Promise<RunSummary> {
    const release = deps.osReleases.get(input.image);
    if (release === undefined) {
      throw ApplicationFailure.create({
        type: 'ConfigurationFailed' satisfies FailureType,
        message: `upgrading ${input.hostname} failed: image ${input.image} has no Debian release (BERTH_OS_RELEASES)`,
        // failure() retries ConfigurationFailed; a missing setting stays missing.
        nonRetryable: true,
      });
    }
    const summary = await recordedRun(
      input,
      `upgrading ${input.hostname} to ${release}`,
      async (target, control, record) => {
        // An upgrade applies no people: its row keeps the site's last digest, so the people
        // refresh (activities/people) does not take the upgrade for a change of people.
        record.peopleDigest = await lastPeopleDigest(deps.orm, target.siteId);
        return deps.ansible.upgrade({ target, release }, control);
      },
    );
    await recordUpgrade(deps.orm, input, release);
    return summary;
  }

  /**
   * One attempt of a run, recorded: its row is written before it starts and finished with its
   * report, its current task is heartbeated, the activity's cancellation ends it, and a failure
   * becomes ConfigurationFailed (`<doing> failed: <why>`).
   */
  async function recordedRun(
    input: ConfigureServerInput,
    doing: string,
    run: (
      target: ConfigurationTarget,
      control: RunControl,
      record: RunRecord,
    ) => Promise<RunReport>,
  ): Promise<RunSummary> {
    const context = Context.current();
    const target: ConfigurationTarget = {
      vmId: input.vmId,
      siteId: input.siteId,
      hostname: input.hostname,
      ipv4: input.ipv4,
      ipv6: input.ipv6,
    };
    const runId = attemptId();
    // Recording is not the run: a database too busy to take the row does not stop the
    // configuration (its end is then recorded on no row, and the run goes unlisted).
    await startRun(deps.orm, {
      id: runId,
      vmId: target.vmId,
      siteId: target.siteId,
      operationId: input.operationId ?? null,
      adapter: deps.ansible.name,
    }).catch((error: unknown) => {
      context.log.warn('recording the start of a configuration run failed', {
        runId,
        error: error instanceof Error ? error.message : String(error),
      });
    });

    const record: RunRecord = { peopleDigest: null };
    // The run's outcome stands even if recording it fails: the row then stays `running`.
    const finish = (
      status: ConfigurationRunStatus,
      report: RunReport,
      failedTask: string | null,
      failedHost: string | null,
    ): Promise<void> =>
      finishRun(deps.orm, runId, status, report, failedTask, failedHost, record).catch(
        (error: unknown) => {
          context.log.warn('recording the end of a configuration run failed', {
            runId,
            error: error instanceof Error ? error.message : String(error),
          });
        },
      );

    let task = 'starting';
    const beat = () => {
      context.heartbeat({ task });
    };
    const beating = setInterval(beat, heartbeatEveryMs);
    try {
      const report = await run(
        target,
        {
          onProgress: (current) => {
            task = current;
            beat();
          },
          signal: context.cancellationSignal,
        },
        record,
      );
      await finish('succeeded', report, null, null);
      return {
        ok: report.ok,
        changed: report.changed,
        failed: report.failed,
        unreachable: report.unreachable,
      };
    } catch (error) {
      const known = error instanceof ConfigurationRunError ? error : undefined;
      await finish(
        'failed',
        known?.report ?? { ok: 0, changed: 0, failed: 0, unreachable: 0, output: '' },
        known?.report.failedTask ?? null,
        known?.report.failedHost ?? null,
      );
      // Cancelled: the processes are gone; Temporal is told it was a cancellation, not a failure.
      if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
      throw failure('ConfigurationFailed', `${doing} failed${known ? `: ${known.message}` : ''}`, {
        cause: error instanceof Error ? error : undefined,
      });
    } finally {
      clearInterval(beating);
    }
  }

  return { configureServer, upgradeServer };
}

export type AnsibleActivities = ReturnType<typeof createAnsibleActivities>;

/** `<workflow run id>/<activity id>/<attempt>`: this attempt's ConfigurationRun row. */
function attemptId(): string {
  const info = Context.current().info;
  return `${info.workflowExecution?.runId ?? 'no-workflow'}/${info.activityId}/${info.attempt}`;
}

async function startRun(
  orm: Orm,
  fields: ConstructorParameters<typeof ConfigurationRun>[0],
): Promise<void> {
  const em = forkEm(orm);
  // An attempt runs once; a row already there is this attempt's, recorded before a retry of the write.
  if (await em.findOne(ConfigurationRun, fields.id, { fields: ['id'] })) return;
  await em.persistAndFlush(new ConfigurationRun(fields));
}

async function finishRun(
  orm: Orm,
  id: string,
  status: ConfigurationRunStatus,
  report: RunReport,
  failedTask: string | null,
  failedHost: string | null,
  { peopleDigest }: RunRecord,
): Promise<void> {
  await forkEm(orm).nativeUpdate(
    ConfigurationRun,
    { id },
    {
      status,
      ok: report.ok,
      changed: report.changed,
      failed: report.failed,
      unreachable: report.unreachable,
      failedTask: failedTask?.slice(0, 500) ?? null,
      failedHost: failedHost?.slice(0, 253) ?? null,
      // PostgreSQL's text refuses NUL, which a command's output may hold.
      output: report.output.replaceAll('\u0000', ''),
      peopleDigest,
      finishedAt: new Date(),
    },
  );
}

/** The people digest of the site's last successful run, or null (no site, no run). */
async function lastPeopleDigest(orm: Orm, siteId: string | null): Promise<string | null> {
  if (siteId === null) return null;
  const last = await forkEm(orm).findOne(
    ConfigurationRun,
    { siteId, status: 'succeeded' },
    { fields: ['peopleDigest'], orderBy: { finishedAt: 'desc', startedAt: 'desc' } },
  );
  return last?.peopleDigest ?? null;
}

/**
 * The server runs `input.image` now: its Vm row says so, and its site's history has one
 * `vm.upgraded` event per activity execution, whatever its retries.
 */
async function recordUpgrade(orm: Orm, input: UpgradeServerInput, release: string): Promise<void> {
  const { activityId, workflowExecution } = Context.current().info;
  const runId = workflowExecution?.runId ?? null;
  await forkEm(orm).transactional(async (em) => {
    const vm = await em.findOne(Vm, input.vmId);
    if (!vm) throw failure('RecordNotFound', `server ${input.vmId} does not exist`);
    const from = vm.image;
    vm.image = input.image;
    if (vm.siteId === null) return;
    const dedupeKey = runId ? `${runId}/${activityId}` : null;
    if (dedupeKey && (await em.findOne(SiteEvent, { dedupeKey }, { fields: ['id'] }))) return;
    const change = from === input.image ? `to ${input.image}` : `from ${from} to ${input.image}`;
    em.persist(
      new SiteEvent({
        siteId: vm.siteId,
        actor: 'system',
        action: 'vm.upgraded',
        summary: `server ${input.hostname} upgraded ${change} (Debian ${release})`.slice(0, 500),
        workflowId: workflowExecution?.workflowId ?? null,
        runId,
        dedupeKey,
      }),
    );
  });
}
