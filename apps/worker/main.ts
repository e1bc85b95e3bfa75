import 'reflect-metadata';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../../libs/config';
import { openOrm } from '../../libs/db/orm';
import { createLogger } from '../../libs/logger';
import { berthDataConverter } from '../../libs/temporal/data-converter';
import { ensureCertificateExpirySchedule } from '../../libs/temporal/certificate-expiry-schedule';
import { ensureDnsReconcileSchedule } from '../../libs/temporal/dns-reconcile-schedule';
import { ensureHostWatchSchedule } from '../../libs/temporal/host-watch-schedule';
import { ansibleTaskQueue } from '../../libs/temporal/names';
import { ensureNotificationDeliverySchedule } from '../../libs/temporal/notification-delivery-schedule';
import { ensurePeopleRefreshSchedule } from '../../libs/temporal/people-refresh-schedule';
import { ensurePoolSchedules } from '../../libs/temporal/pool-schedules';
import { ensureSiteRequestRepairSchedule } from '../../libs/temporal/site-request-repair-schedule';
import { TemporalPinoLogger } from '../../libs/temporal/runtime-logger';
import { ensureSupportExpirySchedule } from '../../libs/temporal/support-expiry-schedule';
import { ensureUpgradeQueueSchedule } from '../../libs/temporal/upgrade-queue-schedule';
import { createBerthWorker } from './worker';

/** Worker process: connects, serves its task queues, drains on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, name: 'berth-worker' });
  Runtime.install({
    logger: new TemporalPinoLogger(log.child({ component: 'temporal-sdk' })),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
  const orm = await openOrm(config.database);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const berth = await createBerthWorker({ config, orm, log, connection });
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({
    connection: clientConnection,
    namespace: config.temporal.namespace,
    dataConverter: berthDataConverter(config),
  });
  await ensurePoolSchedules(client, config);
  await ensureHostWatchSchedule(client, config);
  await ensureDnsReconcileSchedule(client, config);
  await ensurePeopleRefreshSchedule(client, config);
  await ensureNotificationDeliverySchedule(client, config);
  await ensureCertificateExpirySchedule(client, config);
  await ensureSiteRequestRepairSchedule(client, config);
  await ensureUpgradeQueueSchedule(client, config);
  await ensureSupportExpirySchedule(client, config);
  await clientConnection.close();
  log.info(
    {
      taskQueue: config.temporal.taskQueue,
      ansibleTaskQueue: ansibleTaskQueue(config.temporal.taskQueue),
      ansibleConcurrency: config.ansible.concurrency,
      temporal: config.temporal.address,
    },
    'worker started',
  );
  try {
    // The SDK's Runtime shuts the worker down on SIGINT and SIGTERM; run() returns once drained.
    await berth.run();
  } finally {
    await connection.close();
    await orm.close();
    log.info('worker stopped');
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `worker failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
