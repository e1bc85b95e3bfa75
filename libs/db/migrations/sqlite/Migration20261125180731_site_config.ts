import { Migration } from '@mikro-orm/migrations';

/** Virtual hosts and configuration runs. Hand-written from the generated diff, without its rebuilds of tables it cannot compare. */
export class Migration20261125180731_site_config extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`configuration_run\` (\`id\` text not null, \`vm_id\` text not null, \`site_id\` text null, \`operation_id\` text null, \`status\` text check (\`status\` in ('running', 'succeeded', 'failed')) not null, \`adapter\` text not null, \`ok\` integer not null, \`changed\` integer not null, \`failed\` integer not null, \`unreachable\` integer not null, \`failed_task\` text null, \`failed_host\` text null, \`output\` text not null, \`started_at\` datetime not null, \`finished_at\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`configuration_run_vm_id_index\` on \`configuration_run\` (\`vm_id\`);`,
    );
    this.addSql(
      `create index \`configuration_run_operation_id_started_at_index\` on \`configuration_run\` (\`operation_id\`, \`started_at\`);`,
    );
    this.addSql(
      `create table \`vhost\` (\`id\` text not null, \`site_id\` text not null, \`name\` text not null, \`server_name\` text not null, \`aliases\` json not null, \`created_by\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`vhost_site_id_index\` on \`vhost\` (\`site_id\`);`);
    this.addSql(
      `create unique index \`vhost_site_id_name_unique\` on \`vhost\` (\`site_id\`, \`name\`);`,
    );
  }
}
