import { Migration } from '@mikro-orm/migrations';

/**
 * Address pools, host keys, the audit log and the simulated DNS server's tables; `network_config`
 * gains pools, offsets, host numbers and holds in place of its slot. Hand-written from the
 * generated diff (without its rebuilds of tables it cannot compare): SQLite cannot add NOT NULL
 * columns to a table with rows, so `network_config` is rebuilt. A row from before keeps its
 * addresses: its slot was the offset in both configured networks, which become the pools
 * `default-ipv4` and `default-ipv6` (made from the same settings after the migrations run).
 */
export class Migration20261125174012_network extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`address_pool\` (\`id\` text not null, \`name\` text not null, \`family\` text check (\`family\` in ('ipv4', 'ipv6')) not null, \`cidr\` text not null, \`gateway\` text null, \`reserved\` json not null, \`reverse_zone\` text not null, \`priority\` integer not null, \`enabled\` integer not null, \`allocations\` integer not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`address_pool_name_unique\` on \`address_pool\` (\`name\`);`);
    this.addSql(`create unique index \`address_pool_cidr_unique\` on \`address_pool\` (\`cidr\`);`);

    this.addSql(
      `create table \`audit_event\` (\`id\` text not null, \`actor\` text not null, \`action\` text not null, \`target\` text not null, \`summary\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`audit_event_created_at_id_index\` on \`audit_event\` (\`created_at\`, \`id\`);`,
    );

    this.addSql(
      `create table \`host_key\` (\`id\` text not null, \`vm_id\` text not null, \`type\` text check (\`type\` in ('rsa', 'ecdsa', 'ed25519')) not null, \`public_key\` text not null, \`fingerprint\` text not null, \`sealed_private_key\` text not null, \`created_at\` datetime not null, \`delivered_at\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`host_key_vm_id_index\` on \`host_key\` (\`vm_id\`);`);
    this.addSql(
      `create unique index \`host_key_vm_id_type_unique\` on \`host_key\` (\`vm_id\`, \`type\`);`,
    );

    this.addSql(
      `create table \`simulated_dns_record_set\` (\`id\` text not null, \`zone\` text not null, \`name\` text not null, \`type\` text not null, \`ttl\` integer not null, \`records\` json not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`simulated_dns_record_set_zone_index\` on \`simulated_dns_record_set\` (\`zone\`);`,
    );
    this.addSql(
      `create table \`simulated_dns_zone\` (\`name\` text not null, \`dnssec\` integer not null, primary key (\`name\`));`,
    );

    this.addSql(
      `create table \`network_config__new\` (\`id\` text not null, \`vm_id\` text not null, \`site_id\` text null, \`state\` text check (\`state\` in ('allocated', 'held')) not null, \`host_number\` integer null, \`hostname\` text not null, \`ipv4_pool_id\` text not null, \`ipv4_offset\` bigint not null, \`ipv4\` text not null, \`ipv6_pool_id\` text not null, \`ipv6_offset\` bigint not null, \`ipv6\` text not null, \`allocated_at\` datetime not null, \`released_at\` datetime null, \`hold_until\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(
      `insert into \`network_config__new\` (\`id\`, \`vm_id\`, \`site_id\`, \`state\`, \`host_number\`, \`hostname\`, \`ipv4_pool_id\`, \`ipv4_offset\`, \`ipv4\`, \`ipv6_pool_id\`, \`ipv6_offset\`, \`ipv6\`, \`allocated_at\`) select \`id\`, \`vm_id\`, \`site_id\`, 'allocated', null, \`hostname\`, 'default-ipv4', \`slot\`, \`ipv4\`, 'default-ipv6', \`slot\`, \`ipv6\`, \`allocated_at\` from \`network_config\`;`,
    );
    this.addSql(`drop table \`network_config\`;`);
    this.addSql(`alter table \`network_config__new\` rename to \`network_config\`;`);
    for (const column of ['vm_id', 'host_number', 'hostname', 'ipv4', 'ipv6']) {
      this.addSql(
        `create unique index \`network_config_${column}_unique\` on \`network_config\` (\`${column}\`);`,
      );
    }
    this.addSql(
      `create index \`network_config_site_id_index\` on \`network_config\` (\`site_id\`);`,
    );
    this.addSql(
      `create index \`network_config_hold_until_index\` on \`network_config\` (\`hold_until\`);`,
    );
    for (const family of ['ipv4', 'ipv6']) {
      this.addSql(
        `create unique index \`network_config_${family}_pool_id_${family}_offset_unique\` on \`network_config\` (\`${family}_pool_id\`, \`${family}_offset\`);`,
      );
    }
  }
}
