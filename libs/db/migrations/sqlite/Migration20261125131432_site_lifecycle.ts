import { Migration } from '@mikro-orm/migrations';

export class Migration20261125131432_site_lifecycle extends Migration {
  // Reviewed: MikroORM's diff also rebuilt site_event (a false difference in its key type),
  // which would have dropped the append-only triggers; those statements were removed.
  override async up(): Promise<void> {
    this.addSql(
      `create table \`service\` (\`id\` text not null, \`site_id\` text not null, \`kind\` text check (\`kind\` in ('production', 'test')) not null, \`vm_id\` text null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`service_site_id_index\` on \`service\` (\`site_id\`);`);
    this.addSql(
      `create unique index \`service_site_id_kind_unique\` on \`service\` (\`site_id\`, \`kind\`);`,
    );

    this.addSql(
      `create table \`site_role\` (\`id\` text not null, \`site_id\` text not null, \`subject_type\` text check (\`subject_type\` in ('user', 'group')) not null, \`subject\` text not null, \`role\` text check (\`role\` in ('admin', 'ssh-user')) not null, \`granted_by\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`site_role_site_id_index\` on \`site_role\` (\`site_id\`);`);
    this.addSql(
      `create index \`site_role_subject_type_subject_index\` on \`site_role\` (\`subject_type\`, \`subject\`);`,
    );
    this.addSql(
      `create unique index \`site_role_site_id_subject_type_subject_role_unique\` on \`site_role\` (\`site_id\`, \`subject_type\`, \`subject\`, \`role\`);`,
    );

    this.addSql(
      `alter table \`operation\` add column \`requested_by\` text not null default 'system';`,
    );
    this.addSql(`alter table \`operation\` add column \`idempotency_key\` text null;`);
    this.addSql(`alter table \`operation\` add column \`request_fingerprint\` text null;`);

    this.addSql(`alter table \`site\` add column \`renews\` integer not null default true;`);
    this.addSql(`alter table \`site\` add column \`suspension_reason\` text null;`);
    this.addSql(`alter table \`site\` add column \`delete_after\` datetime null;`);

    this.addSql(
      `alter table \`vm\` add column \`power_state\` text check (\`power_state\` in ('poweredOn', 'poweredOff')) not null default 'poweredOn';`,
    );

    // SQLite cannot change a CHECK constraint in place: rebuild site and operation with the new
    // lists of statuses and operation kinds (MikroORM's diff does not see CHECK changes here).
    this.addSql(
      `create table \`site__new\` (\`id\` text not null, \`name\` text not null, \`description\` text not null, \`owner\` text not null, \`contact_email\` text not null, \`status\` text check (\`status\` in ('requested', 'installing', 'ready', 'configuring', 'configuring-queued', 'disabled', 'suspended', 'quarantined', 'cancelled', 'deleted', 'failed')) not null, \`hostname_label\` text null, \`idempotency_key\` text null, \`request_fingerprint\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`renews\` integer not null default true, \`suspension_reason\` text null, \`delete_after\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(
      `insert into \`site__new\` (\`id\`, \`name\`, \`description\`, \`owner\`, \`contact_email\`, \`status\`, \`hostname_label\`, \`idempotency_key\`, \`request_fingerprint\`, \`created_at\`, \`updated_at\`, \`renews\`, \`suspension_reason\`, \`delete_after\`) select \`id\`, \`name\`, \`description\`, \`owner\`, \`contact_email\`, \`status\`, \`hostname_label\`, \`idempotency_key\`, \`request_fingerprint\`, \`created_at\`, \`updated_at\`, \`renews\`, \`suspension_reason\`, \`delete_after\` from \`site\`;`,
    );
    this.addSql(`drop table \`site\`;`);
    this.addSql(`alter table \`site__new\` rename to \`site\`;`);
    this.addSql(`create unique index \`site_name_unique\` on \`site\` (\`name\`);`);
    this.addSql(`create index \`site_owner_index\` on \`site\` (\`owner\`);`);
    this.addSql(
      `create unique index \`site_hostname_label_unique\` on \`site\` (\`hostname_label\`);`,
    );
    this.addSql(
      `create unique index \`site_owner_idempotency_key_unique\` on \`site\` (\`owner\`, \`idempotency_key\`);`,
    );
    this.addSql(
      `create table \`operation__new\` (\`id\` text not null, \`site_id\` text not null, \`kind\` text check (\`kind\` in ('provision', 'configure', 'disable', 'enable', 'suspend', 'unsuspend', 'quarantine', 'release-quarantine', 'cancel', 'revert-cancellation', 'delete', 'set-renewal', 'power-on', 'power-off', 'reboot', 'reset')) not null, \`workflow_id\` text not null, \`status\` text check (\`status\` in ('running', 'succeeded', 'failed')) not null, \`progress\` integer not null, \`step\` text not null, \`error\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`finished_at\` datetime null, \`requested_by\` text not null default 'system', \`idempotency_key\` text null, \`request_fingerprint\` text null, primary key (\`id\`));`,
    );
    this.addSql(
      `insert into \`operation__new\` (\`id\`, \`site_id\`, \`kind\`, \`workflow_id\`, \`status\`, \`progress\`, \`step\`, \`error\`, \`created_at\`, \`updated_at\`, \`finished_at\`, \`requested_by\`, \`idempotency_key\`, \`request_fingerprint\`) select \`id\`, \`site_id\`, \`kind\`, \`workflow_id\`, \`status\`, \`progress\`, \`step\`, \`error\`, \`created_at\`, \`updated_at\`, \`finished_at\`, \`requested_by\`, \`idempotency_key\`, \`request_fingerprint\` from \`operation\`;`,
    );
    this.addSql(`drop table \`operation\`;`);
    this.addSql(`alter table \`operation__new\` rename to \`operation\`;`);
    this.addSql(`create index \`operation_site_id_index\` on \`operation\` (\`site_id\`);`);
    this.addSql(
      `create unique index \`operation_site_id_idempotency_key_unique\` on \`operation\` (\`site_id\`, \`idempotency_key\`);`,
    );
  }
}
