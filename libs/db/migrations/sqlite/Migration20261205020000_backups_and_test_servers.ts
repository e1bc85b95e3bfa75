import { Migration } from '@mikro-orm/migrations';

/**
 * Nightly backups, and the operation kinds of backups, test servers and OS upgrades. Hand-written
 * from the generated diff, as for site_snapshot.
 */
export class Migration20261205020000_backups_and_test_servers extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`site_backup\` (\`id\` text not null, \`site_id\` text not null, \`vm_id\` text not null, \`name\` text not null, \`taken_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`site_backup_site_id_index\` on \`site_backup\` (\`site_id\`);`);
    this.addSql(
      `create unique index \`site_backup_site_id_vm_id_name_unique\` on \`site_backup\` (\`site_id\`, \`vm_id\`, \`name\`);`,
    );
    // SQLite cannot change a check constraint: the operation table is rebuilt with the new kinds.
    this.addSql(
      `create table \`operation__new\` (\`id\` text not null, \`site_id\` text null, \`target\` text null, \`kind\` text check (\`kind\` in ('provision', 'configure', 'disable', 'enable', 'suspend', 'unsuspend', 'quarantine', 'release-quarantine', 'cancel', 'revert-cancellation', 'delete', 'set-renewal', 'power-on', 'power-off', 'reboot', 'reset', 'create-snapshot', 'revert-snapshot', 'delete-snapshot', 'create-test-server', 'restore-backup', 'switch-test-server', 'delete-test-server', 'back-up', 'upgrade', 'approve-upgrade', 'cancel-upgrade', 'evacuate-host', 'return-host', 'migrate-vm', 'failover-host')) not null, \`workflow_id\` text not null, \`status\` text check (\`status\` in ('running', 'succeeded', 'failed')) not null, \`progress\` integer not null, \`step\` text not null, \`error\` text null, \`requested_by\` text not null default 'system', \`idempotency_key\` text null, \`request_fingerprint\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`finished_at\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(
      `insert into \`operation__new\` (\`id\`, \`site_id\`, \`target\`, \`kind\`, \`workflow_id\`, \`status\`, \`progress\`, \`step\`, \`error\`, \`requested_by\`, \`idempotency_key\`, \`request_fingerprint\`, \`created_at\`, \`updated_at\`, \`finished_at\`) select \`id\`, \`site_id\`, \`target\`, \`kind\`, \`workflow_id\`, \`status\`, \`progress\`, \`step\`, \`error\`, \`requested_by\`, \`idempotency_key\`, \`request_fingerprint\`, \`created_at\`, \`updated_at\`, \`finished_at\` from \`operation\`;`,
    );
    this.addSql(`drop table \`operation\`;`);
    this.addSql(`alter table \`operation__new\` rename to \`operation\`;`);
    this.addSql(`create index \`operation_site_id_index\` on \`operation\` (\`site_id\`);`);
    this.addSql(
      `create unique index \`operation_site_id_idempotency_key_unique\` on \`operation\` (\`site_id\`, \`idempotency_key\`);`,
    );
  }
}
