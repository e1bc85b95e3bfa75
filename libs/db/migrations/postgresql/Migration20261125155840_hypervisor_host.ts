import { Migration } from '@mikro-orm/migrations';

export class Migration20261125155840_hypervisor_host extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "hypervisor_host" ("name" varchar(200) not null, "connection_state" text check ("connection_state" in ('connected', 'disconnected', 'notResponding')) not null default 'connected', "in_maintenance_mode" boolean not null default false, "cpu_cores" int not null default 0, "cpu_mhz" int not null default 0, "cpu_used_mhz" int not null default 0, "memory_mb" int not null default 0, "memory_used_mb" int not null default 0, "vm_count" int not null default 0, "seen_at" timestamptz not null, constraint "hypervisor_host_pkey" primary key ("name"));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "hypervisor_host" cascade;`);
  }
}
