import { Migration } from '@mikro-orm/migrations';

/**
 * Hand-written: the generated diff missed the operation table's new nullable site_id and kinds
 * (it cannot compare CHECK constraints or nullability here) and rebuilt site and site_event for
 * nothing (which would drop site_event's append-only triggers). operation has no triggers, so it
 * is rebuilt the way SQLite changes a column.
 */
export class Migration20261125155429_fleet extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`simulated_host\` (\`name\` text not null, \`in_maintenance_mode\` integer not null default false, \`connection_state\` text check (\`connection_state\` in ('connected', 'disconnected', 'notResponding')) not null default 'connected', primary key (\`name\`));`,
    );
    this.addSql(
      `create table \`simulated_snapshot\` (\`id\` text not null, \`vm_id\` text not null, \`name\` text not null, \`cpus\` integer not null, \`memory_mb\` integer not null, \`disk_gb\` integer not null, \`power_state\` text check (\`power_state\` in ('poweredOn', 'poweredOff')) not null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`simulated_snapshot_vm_id_index\` on \`simulated_snapshot\` (\`vm_id\`);`,
    );
    this.addSql(
      `create unique index \`simulated_snapshot_vm_id_name_unique\` on \`simulated_snapshot\` (\`vm_id\`, \`name\`);`,
    );
    this.addSql(`alter table \`vm\` add column \`host\` text null;`);
    this.addSql(
      `create table \`operation__new\` (\`id\` text not null, \`site_id\` text null, \`target\` text null, \`kind\` text check (\`kind\` in ('provision', 'configure', 'disable', 'enable', 'suspend', 'unsuspend', 'quarantine', 'release-quarantine', 'cancel', 'revert-cancellation', 'delete', 'set-renewal', 'power-on', 'power-off', 'reboot', 'reset', 'evacuate-host', 'return-host', 'migrate-vm', 'failover-host')) not null, \`workflow_id\` text not null, \`status\` text check (\`status\` in ('running', 'succeeded', 'failed')) not null, \`progress\` integer not null, \`step\` text not null, \`error\` text null, \`requested_by\` text not null default 'system', \`idempotency_key\` text null, \`request_fingerprint\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`finished_at\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(
      `insert into \`operation__new\` (\`id\`, \`site_id\`, \`kind\`, \`workflow_id\`, \`status\`, \`progress\`, \`step\`, \`error\`, \`requested_by\`, \`idempotency_key\`, \`request_fingerprint\`, \`created_at\`, \`updated_at\`, \`finished_at\`) select \`id\`, \`site_id\`, \`kind\`, \`workflow_id\`, \`status\`, \`progress\`, \`step\`, \`error\`, \`requested_by\`, \`idempotency_key\`, \`request_fingerprint\`, \`created_at\`, \`updated_at\`, \`finished_at\` from \`operation\`;`,
    );
    this.addSql(`drop table \`operation\`;`);
    this.addSql(`alter table \`operation__new\` rename to \`operation\`;`);
    this.addSql(`create index \`operation_site_id_index\` on \`operation\` (\`site_id\`);`);
    this.addSql(
      `create unique index \`operation_site_id_idempotency_key_unique\` on \`operation\` (\`site_id\`, \`idempotency_key\`);`,
    );
  }
}
