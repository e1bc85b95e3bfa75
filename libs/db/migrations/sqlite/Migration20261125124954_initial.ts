import { Migration } from '@mikro-orm/migrations';

export class Migration20261125124954_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`network_config\` (\`id\` text not null, \`vm_id\` text not null, \`site_id\` text not null, \`slot\` integer not null, \`hostname\` text not null, \`ipv4\` text not null, \`ipv6\` text not null, \`allocated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create unique index \`network_config_vm_id_unique\` on \`network_config\` (\`vm_id\`);`,
    );
    this.addSql(
      `create index \`network_config_site_id_index\` on \`network_config\` (\`site_id\`);`,
    );
    this.addSql(
      `create unique index \`network_config_slot_unique\` on \`network_config\` (\`slot\`);`,
    );
    this.addSql(
      `create unique index \`network_config_hostname_unique\` on \`network_config\` (\`hostname\`);`,
    );
    this.addSql(
      `create unique index \`network_config_ipv4_unique\` on \`network_config\` (\`ipv4\`);`,
    );
    this.addSql(
      `create unique index \`network_config_ipv6_unique\` on \`network_config\` (\`ipv6\`);`,
    );

    this.addSql(
      `create table \`operation\` (\`id\` text not null, \`site_id\` text not null, \`kind\` text check (\`kind\` in ('provision')) not null, \`workflow_id\` text not null, \`status\` text check (\`status\` in ('running', 'succeeded', 'failed')) not null, \`progress\` integer not null, \`step\` text not null, \`error\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`finished_at\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`operation_site_id_index\` on \`operation\` (\`site_id\`);`);

    this.addSql(
      `create table \`simulated_vm\` (\`vm_id\` text not null, \`ref\` text not null, \`hostname\` text not null, \`ipv4\` text not null, \`ipv6\` text not null, \`cpus\` integer not null, \`memory_mb\` integer not null, \`disk_gb\` integer not null, \`power_state\` text check (\`power_state\` in ('poweredOn', 'poweredOff')) not null, \`install_state\` text check (\`install_state\` in ('installing', 'installed')) not null, \`callback_url\` text not null, \`callback_token\` text not null, \`created_at\` datetime not null, primary key (\`vm_id\`));`,
    );

    this.addSql(
      `create table \`site\` (\`id\` text not null, \`name\` text not null, \`description\` text not null, \`owner\` text not null, \`contact_email\` text not null, \`status\` text check (\`status\` in ('requested', 'installing', 'ready', 'failed')) not null, \`hostname_label\` text null, \`idempotency_key\` text null, \`request_fingerprint\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`site_name_unique\` on \`site\` (\`name\`);`);
    this.addSql(`create index \`site_owner_index\` on \`site\` (\`owner\`);`);
    this.addSql(
      `create unique index \`site_hostname_label_unique\` on \`site\` (\`hostname_label\`);`,
    );
    this.addSql(
      `create unique index \`site_owner_idempotency_key_unique\` on \`site\` (\`owner\`, \`idempotency_key\`);`,
    );

    this.addSql(
      `create table \`site_event\` (\`id\` integer not null primary key autoincrement, \`site_id\` text not null, \`at\` datetime not null, \`actor\` text not null, \`action\` text not null, \`summary\` text not null, \`workflow_id\` text null, \`run_id\` text null, \`dedupe_key\` text null);`,
    );
    this.addSql(
      `create unique index \`site_event_dedupe_key_unique\` on \`site_event\` (\`dedupe_key\`);`,
    );
    this.addSql(
      `create index \`site_event_site_id_id_index\` on \`site_event\` (\`site_id\`, \`id\`);`,
    );
    // The audit log is append-only: the database itself refuses to change or remove an entry.
    this.addSql(
      `create trigger \`site_event_no_update\` before update on \`site_event\` begin select raise(abort, 'site_event is append-only'); end;`,
    );
    this.addSql(
      `create trigger \`site_event_no_delete\` before delete on \`site_event\` begin select raise(abort, 'site_event is append-only'); end;`,
    );

    this.addSql(
      `create table \`vm\` (\`id\` text not null, \`site_id\` text not null, \`service\` text check (\`service\` in ('production', 'test')) not null, \`status\` text check (\`status\` in ('creating', 'installing', 'installed', 'configuring', 'ready')) not null, \`hypervisor_ref\` text null, \`cpus\` integer not null, \`memory_mb\` integer not null, \`disk_gb\` integer not null, \`installed_at\` datetime null, \`install_task_token\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`vm_site_id_index\` on \`vm\` (\`site_id\`);`);
  }
}
