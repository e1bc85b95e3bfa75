import { Migration } from '@mikro-orm/migrations';

export class Migration20261125125003_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "network_config" ("id" varchar(36) not null, "vm_id" varchar(36) not null, "site_id" varchar(36) not null, "slot" int not null, "hostname" varchar(253) not null, "ipv4" varchar(15) not null, "ipv6" varchar(39) not null, "allocated_at" timestamptz not null, constraint "network_config_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "network_config" add constraint "network_config_vm_id_unique" unique ("vm_id");`,
    );
    this.addSql(`create index "network_config_site_id_index" on "network_config" ("site_id");`);
    this.addSql(
      `alter table "network_config" add constraint "network_config_slot_unique" unique ("slot");`,
    );
    this.addSql(
      `alter table "network_config" add constraint "network_config_hostname_unique" unique ("hostname");`,
    );
    this.addSql(
      `alter table "network_config" add constraint "network_config_ipv4_unique" unique ("ipv4");`,
    );
    this.addSql(
      `alter table "network_config" add constraint "network_config_ipv6_unique" unique ("ipv6");`,
    );

    this.addSql(
      `create table "operation" ("id" varchar(36) not null, "site_id" varchar(36) not null, "kind" text check ("kind" in ('provision')) not null, "workflow_id" varchar(200) not null, "status" text check ("status" in ('running', 'succeeded', 'failed')) not null, "progress" int not null, "step" varchar(200) not null, "error" varchar(500) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "finished_at" timestamptz null, constraint "operation_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "operation_site_id_index" on "operation" ("site_id");`);

    this.addSql(
      `create table "simulated_vm" ("vm_id" varchar(36) not null, "ref" varchar(60) not null, "hostname" varchar(253) not null, "ipv4" varchar(15) not null, "ipv6" varchar(39) not null, "cpus" int not null, "memory_mb" int not null, "disk_gb" int not null, "power_state" text check ("power_state" in ('poweredOn', 'poweredOff')) not null, "install_state" text check ("install_state" in ('installing', 'installed')) not null, "callback_url" varchar(500) not null, "callback_token" varchar(100) not null, "created_at" timestamptz not null, constraint "simulated_vm_pkey" primary key ("vm_id"));`,
    );

    this.addSql(
      `create table "site" ("id" varchar(36) not null, "name" varchar(100) not null, "description" varchar(250) not null, "owner" varchar(200) not null, "contact_email" varchar(254) not null, "status" text check ("status" in ('requested', 'installing', 'ready', 'failed')) not null, "hostname_label" varchar(63) null, "idempotency_key" varchar(100) null, "request_fingerprint" varchar(64) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "site_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "site" add constraint "site_name_unique" unique ("name");`);
    this.addSql(`create index "site_owner_index" on "site" ("owner");`);
    this.addSql(
      `alter table "site" add constraint "site_hostname_label_unique" unique ("hostname_label");`,
    );
    this.addSql(
      `alter table "site" add constraint "site_owner_idempotency_key_unique" unique ("owner", "idempotency_key");`,
    );

    this.addSql(
      `create table "site_event" ("id" bigserial primary key, "site_id" varchar(36) not null, "at" timestamptz not null, "actor" varchar(200) not null, "action" varchar(60) not null, "summary" varchar(500) not null, "workflow_id" varchar(200) null, "run_id" varchar(64) null, "dedupe_key" varchar(200) null);`,
    );
    this.addSql(
      `alter table "site_event" add constraint "site_event_dedupe_key_unique" unique ("dedupe_key");`,
    );
    this.addSql(`create index "site_event_site_id_id_index" on "site_event" ("site_id", "id");`);
    // The audit log is append-only: the database itself refuses to change or remove an entry.
    this.addSql(
      `create function "site_event_append_only"() returns trigger language plpgsql as $$ begin raise exception 'site_event is append-only'; end $$;`,
    );
    this.addSql(
      `create trigger "site_event_append_only" before update or delete on "site_event" for each row execute function "site_event_append_only"();`,
    );

    this.addSql(
      `create table "vm" ("id" varchar(36) not null, "site_id" varchar(36) not null, "service" text check ("service" in ('production', 'test')) not null, "status" text check ("status" in ('creating', 'installing', 'installed', 'configuring', 'ready')) not null, "hypervisor_ref" varchar(200) null, "cpus" int not null, "memory_mb" int not null, "disk_gb" int not null, "installed_at" timestamptz null, "install_task_token" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "vm_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "vm_site_id_index" on "vm" ("site_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "network_config" cascade;`);

    this.addSql(`drop table if exists "operation" cascade;`);

    this.addSql(`drop table if exists "simulated_vm" cascade;`);

    this.addSql(`drop table if exists "site" cascade;`);

    this.addSql(`drop table if exists "site_event" cascade;`);
    this.addSql(`drop function if exists "site_event_append_only"();`);

    this.addSql(`drop table if exists "vm" cascade;`);
  }
}
