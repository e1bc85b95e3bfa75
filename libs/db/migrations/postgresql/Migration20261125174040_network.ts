import { Migration } from '@mikro-orm/migrations';

/** Address pools, host keys, the audit log, the simulated DNS server; holds in network_config. */
export class Migration20261125174040_network extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "address_pool" ("id" varchar(36) not null, "name" varchar(63) not null, "family" text check ("family" in ('ipv4', 'ipv6')) not null, "cidr" varchar(43) not null, "gateway" varchar(39) null, "reserved" jsonb not null, "reverse_zone" varchar(100) not null, "priority" int not null, "enabled" boolean not null, "allocations" int not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "address_pool_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "address_pool" add constraint "address_pool_name_unique" unique ("name");`,
    );
    this.addSql(
      `alter table "address_pool" add constraint "address_pool_cidr_unique" unique ("cidr");`,
    );

    this.addSql(
      `create table "audit_event" ("id" varchar(36) not null, "actor" varchar(200) not null, "action" varchar(100) not null, "target" varchar(253) not null, "summary" varchar(2000) not null, "created_at" timestamptz not null, constraint "audit_event_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "audit_event_created_at_id_index" on "audit_event" ("created_at", "id");`,
    );

    this.addSql(
      `create table "host_key" ("id" varchar(36) not null, "vm_id" varchar(36) not null, "type" text check ("type" in ('rsa', 'ecdsa', 'ed25519')) not null, "public_key" text not null, "fingerprint" varchar(60) not null, "sealed_private_key" text not null, "created_at" timestamptz not null, "delivered_at" timestamptz null, constraint "host_key_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "host_key_vm_id_index" on "host_key" ("vm_id");`);
    this.addSql(
      `alter table "host_key" add constraint "host_key_vm_id_type_unique" unique ("vm_id", "type");`,
    );

    this.addSql(
      `create table "simulated_dns_record_set" ("id" varchar(520) not null, "zone" varchar(253) not null, "name" varchar(253) not null, "type" varchar(10) not null, "ttl" int not null, "records" jsonb not null, constraint "simulated_dns_record_set_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "simulated_dns_record_set_zone_index" on "simulated_dns_record_set" ("zone");`,
    );

    this.addSql(
      `create table "simulated_dns_zone" ("name" varchar(253) not null, "dnssec" boolean not null, constraint "simulated_dns_zone_pkey" primary key ("name"));`,
    );

    // Rows from before keep their addresses: the slot was the offset in both configured networks,
    // which become the pools default-ipv4 and default-ipv6 after the migrations run.
    this.addSql(
      `alter table "network_config" add column "state" text check ("state" in ('allocated', 'held')) not null default 'allocated', add column "host_number" int null, add column "ipv4_pool_id" varchar(36) not null default 'default-ipv4', add column "ipv4_offset" bigint null, add column "ipv6_pool_id" varchar(36) not null default 'default-ipv6', add column "ipv6_offset" bigint null, add column "released_at" timestamptz null, add column "hold_until" timestamptz null;`,
    );
    this.addSql(`update "network_config" set "ipv4_offset" = "slot", "ipv6_offset" = "slot";`);
    this.addSql(
      `alter table "network_config" alter column "state" drop default, alter column "ipv4_pool_id" drop default, alter column "ipv6_pool_id" drop default, alter column "ipv4_offset" set not null, alter column "ipv6_offset" set not null;`,
    );
    this.addSql(`alter table "network_config" drop constraint "network_config_slot_unique";`);
    this.addSql(`alter table "network_config" drop column "slot";`);
    this.addSql(
      `alter table "network_config" add constraint "network_config_host_number_unique" unique ("host_number");`,
    );
    this.addSql(
      `create index "network_config_hold_until_index" on "network_config" ("hold_until");`,
    );
    this.addSql(
      `alter table "network_config" add constraint "network_config_ipv6_pool_id_ipv6_offset_unique" unique ("ipv6_pool_id", "ipv6_offset");`,
    );
    this.addSql(
      `alter table "network_config" add constraint "network_config_ipv4_pool_id_ipv4_offset_unique" unique ("ipv4_pool_id", "ipv4_offset");`,
    );
  }
}
