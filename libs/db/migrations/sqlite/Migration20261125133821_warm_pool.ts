import { Migration } from '@mikro-orm/migrations';

export class Migration20261125133821_warm_pool extends Migration {
  // Written by hand: SQLite cannot make a column nullable or change a CHECK constraint in place,
  // so vm and network_config are rebuilt (pool VMs have no site yet; vm gains `pooled` and an
  // image). MikroORM's generated diff also rebuilt every other table for column order only.
  override async up(): Promise<void> {
    this.addSql(
      `create table \`network_config__new\` (\`id\` text not null, \`vm_id\` text not null, \`site_id\` text null, \`slot\` integer not null, \`hostname\` text not null, \`ipv4\` text not null, \`ipv6\` text not null, \`allocated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `insert into \`network_config__new\` (\`id\`, \`vm_id\`, \`site_id\`, \`slot\`, \`hostname\`, \`ipv4\`, \`ipv6\`, \`allocated_at\`) select \`id\`, \`vm_id\`, \`site_id\`, \`slot\`, \`hostname\`, \`ipv4\`, \`ipv6\`, \`allocated_at\` from \`network_config\`;`,
    );
    this.addSql(`drop table \`network_config\`;`);
    this.addSql(`alter table \`network_config__new\` rename to \`network_config\`;`);
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
      `create table \`vm__new\` (\`id\` text not null, \`site_id\` text null, \`image\` text not null default 'debian-12', \`service\` text check (\`service\` in ('production', 'test')) not null, \`status\` text check (\`status\` in ('creating', 'installing', 'installed', 'configuring', 'ready', 'pooled')) not null, \`power_state\` text check (\`power_state\` in ('poweredOn', 'poweredOff')) not null default 'poweredOn', \`hypervisor_ref\` text null, \`cpus\` integer not null, \`memory_mb\` integer not null, \`disk_gb\` integer not null, \`installed_at\` datetime null, \`install_task_token\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `insert into \`vm__new\` (\`id\`, \`site_id\`, \`service\`, \`status\`, \`power_state\`, \`hypervisor_ref\`, \`cpus\`, \`memory_mb\`, \`disk_gb\`, \`installed_at\`, \`install_task_token\`, \`created_at\`, \`updated_at\`) select \`id\`, \`site_id\`, \`service\`, \`status\`, \`power_state\`, \`hypervisor_ref\`, \`cpus\`, \`memory_mb\`, \`disk_gb\`, \`installed_at\`, \`install_task_token\`, \`created_at\`, \`updated_at\` from \`vm\`;`,
    );
    this.addSql(`drop table \`vm\`;`);
    this.addSql(`alter table \`vm__new\` rename to \`vm\`;`);
    this.addSql(`create index \`vm_site_id_index\` on \`vm\` (\`site_id\`);`);
    this.addSql(`create index \`vm_image_index\` on \`vm\` (\`image\`);`);
  }
}
