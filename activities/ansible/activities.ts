import { Context } from '@temporalio/activity';
import { forkEm, type Orm } from '../../libs/db/orm';
import { ConfigurationRun, type ConfigurationRunStatus } from '../../libs/domain';
import { failure } from '../../libs/failures';
import {
  type Ansible,
  type ConfigurationTarget,
  ConfigurationRunError,
  type RunReport,
  type RunSummary,
} from './port';
import { type Directory } from '../directory/port';
import { peopleDigest, siteConfiguration } from './site-data';

export interface ConfigureServerInput extends ConfigurationTarget {
  /** The operation the run belongs to, when the workflow has one; its runs list this one. */
  operationId?: string | null;
}

/** Between heartbeats while a task runs without reporting (a long package install). */
const heartbeatEveryMs = 10_000;

/**
 * Configuration activities. `configureServer` reads the site's data as it is now, runs the
 * adapter, and records each attempt as a ConfigurationRun row (counts, failed task, output). It
 * heartbeats the current task, so a run whose worker died is retried promptly, and a cancelled run
 * ends its processes before the activity reports the cancellation.
 */
export function createAnsibleActivities(deps: {
  ansible: Ansible;
  orm: Orm;
  secretKey: Buffer;
  /** Expands roles granted to directory groups into their members. */
  directory?: Directory;
}) {
  async function configureServer(input: ConfigureServerInput): Promise<RunSummary> {
    const context = Context.current();
    const { operationId, ...fields } = input;
    const target: ConfigurationTarget = {
      vmId: fields.vmId,
      siteId: fields.siteId,
      hostname: fields.hostname,
      ipv4: fields.ipv4,
      ipv6: fields.ipv6,
    };
    const info = context.info;
    const runId = `${info.workflowExecution?.runId ?? 'no-workflow'}/${info.activityId}/${info.attempt}`;
    // Recording is not the run: a database too busy to take the row does not stop the
    // configuration (its end is then recorded on no row, and the run goes unlisted).
    await startRun(deps.orm, {
      id: runId,
      vmId: target.vmId,
      siteId: target.siteId,
      operationId: operationId ?? null,
      adapter: deps.ansible.name,
    }).catch((error: unknown) => {
      context.log.warn('recording the start of a configuration run failed', {
        runId,
        error: error instanceof Error ? error.message : String(error),
      });
    });

    // The run's outcome stands even if recording it fails: the row then stays `running`.
    const finish = (
      status: ConfigurationRunStatus,
      report: RunReport,
      failedTask: string | null,
      failedHost: string | null,
    ): Promise<void> =>
      finishRun(deps.orm, runId, status, report, failedTask, failedHost, digest).catch(
        (error: unknown) => {
          context.log.warn('recording the end of a configuration run failed', {
            runId,
            error: error instanceof Error ? error.message : String(error),
          });
        },
      );

    /** Of the people the run applies, once read. */
    let digest: string | null = null;
    let task = 'starting';
    const beat = () => {
      context.heartbeat({ task });
    };
    const beating = setInterval(beat, heartbeatEveryMs);
    try {
      const { vars, secrets } = await siteConfiguration(
        deps.orm,
        deps.secretKey,
        target,
        deps.directory,
      );
      if (target.siteId) {
        digest = peopleDigest({
          users: vars.berth.users.map(({ uid, name, admin }) => ({ uid, name, admin })),
          unix_groups: vars.berth.unix_groups,
        });
      }
      const report = await deps.ansible.configure(
        { target, vars, secrets },
        {
          onProgress: (current) => {
            task = current;
            beat();
          },
          signal: context.cancellationSignal,
        },
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
      throw failure(
        'ConfigurationFailed',
        `configuring ${target.hostname} failed${known ? `: ${known.message}` : ''}`,
        { cause: error instanceof Error ? error : undefined },
      );
    } finally {
      clearInterval(beating);
    }
  }
  return { configureServer };
}

export type AnsibleActivities = ReturnType<typeof createAnsibleActivities>;

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
  peopleDigest: string | null,
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
