import { Migration } from '@mikro-orm/migrations';

/**
 * Operations may be `queued` (OS upgrades waiting for room under BERTH_MAX_PENDING_UPGRADES),
 * and are indexed by kind and status, which the upgrade queue counts by.
 * SQLite cannot change a check constraint: the operation table is rebuilt with the new statuses.
 * Hand-written from the generated diff, which rebuilt every table with a check constraint.
 */
export class Migration20261205151233_operation_queued extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`operation__temp_alter\` (\`id\` text not null, \`site_id\` text null, \`target\` text null, \`kind\` text check (\`kind\` in ('provision', 'configure', 'disable', 'enable', 'suspend', 'unsuspend', 'quarantine', 'release-quarantine', 'cancel', 'revert-cancellation', 'delete', 'set-renewal', 'power-on', 'power-off', 'reboot', 'reset', 'create-snapshot', 'revert-snapshot', 'delete-snapshot', 'create-test-server', 'restore-backup', 'switch-test-server', 'delete-test-server', 'back-up', 'upgrade', 'approve-upgrade', 'cancel-upgrade', 'evacuate-host', 'return-host', 'migrate-vm', 'failover-host')) not null, \`workflow_id\` text not null, \`status\` text check (\`status\` in ('queued', 'running', 'succeeded', 'failed')) not null, \`progress\` integer not null, \`step\` text not null, \`error\` text null, \`requested_by\` text not null default 'system', \`idempotency_key\` text null, \`request_fingerprint\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`finished_at\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(
      `insert into \`operation__temp_alter\` select \`id\`, \`site_id\`, \`target\`, \`kind\`, \`workflow_id\`, \`status\`, \`progress\`, \`step\`, \`error\`, \`requested_by\`, \`idempotency_key\`, \`request_fingerprint\`, \`created_at\`, \`updated_at\`, \`finished_at\` from \`operation\`;`,
    );
    this.addSql(`drop table \`operation\`;`);
    this.addSql(`alter table \`operation__temp_alter\` rename to \`operation\`;`);
    this.addSql(`create index \`operation_site_id_index\` on \`operation\` (\`site_id\`);`);
    this.addSql(
      `create index \`operation_kind_status_index\` on \`operation\` (\`kind\`, \`status\`);`,
    );
    this.addSql(
      `create unique index \`operation_site_id_idempotency_key_unique\` on \`operation\` (\`site_id\`, \`idempotency_key\`);`,
    );
  }
}
