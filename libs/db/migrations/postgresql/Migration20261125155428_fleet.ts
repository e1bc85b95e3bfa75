import { Migration } from '@mikro-orm/migrations';

export class Migration20261125155428_fleet extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "simulated_host" ("name" varchar(60) not null, "in_maintenance_mode" boolean not null default false, "connection_state" text check ("connection_state" in ('connected', 'disconnected', 'notResponding')) not null default 'connected', constraint "simulated_host_pkey" primary key ("name"));`,
    );

    this.addSql(
      `create table "simulated_snapshot" ("id" varchar(36) not null, "vm_id" varchar(36) not null, "name" varchar(80) not null, "cpus" int not null, "memory_mb" int not null, "disk_gb" int not null, "power_state" text check ("power_state" in ('poweredOn', 'poweredOff')) not null, "created_at" timestamptz not null, constraint "simulated_snapshot_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "simulated_snapshot_vm_id_index" on "simulated_snapshot" ("vm_id");`);
    this.addSql(
      `alter table "simulated_snapshot" add constraint "simulated_snapshot_vm_id_name_unique" unique ("vm_id", "name");`,
    );

    this.addSql(`alter table "operation" drop constraint if exists "operation_kind_check";`);

    this.addSql(`alter table "operation" add column "target" varchar(200) null;`);
    this.addSql(
      `alter table "operation" alter column "site_id" type varchar(36) using ("site_id"::varchar(36));`,
    );
    this.addSql(`alter table "operation" alter column "site_id" drop not null;`);
    this.addSql(
      `alter table "operation" add constraint "operation_kind_check" check("kind" in ('provision', 'configure', 'disable', 'enable', 'suspend', 'unsuspend', 'quarantine', 'release-quarantine', 'cancel', 'revert-cancellation', 'delete', 'set-renewal', 'power-on', 'power-off', 'reboot', 'reset', 'evacuate-host', 'return-host', 'migrate-vm', 'failover-host'));`,
    );

    this.addSql(`alter table "vm" add column "host" varchar(200) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "simulated_host" cascade;`);

    this.addSql(`drop table if exists "simulated_snapshot" cascade;`);

    this.addSql(`alter table "operation" drop constraint if exists "operation_kind_check";`);

    this.addSql(`alter table "operation" drop column "target";`);

    this.addSql(
      `alter table "operation" alter column "site_id" type varchar(36) using ("site_id"::varchar(36));`,
    );
    this.addSql(`alter table "operation" alter column "site_id" set not null;`);
    this.addSql(
      `alter table "operation" add constraint "operation_kind_check" check("kind" in ('provision', 'configure', 'disable', 'enable', 'suspend', 'unsuspend', 'quarantine', 'release-quarantine', 'cancel', 'revert-cancellation', 'delete', 'set-renewal', 'power-on', 'power-off', 'reboot', 'reset'));`,
    );

    this.addSql(`alter table "vm" drop column "host";`);
  }
}
