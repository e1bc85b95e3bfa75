import { Migration } from '@mikro-orm/migrations';

/** Hand-written: the generated diff also rebuilt tables it cannot compare (see the fleet migration). */
export class Migration20261125155840_hypervisor_host extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      "create table `hypervisor_host` (`name` text not null, `connection_state` text check (`connection_state` in ('connected', 'disconnected', 'notResponding')) not null default 'connected', `in_maintenance_mode` integer not null default false, `cpu_cores` integer not null default 0, `cpu_mhz` integer not null default 0, `cpu_used_mhz` integer not null default 0, `memory_mb` integer not null default 0, `memory_used_mb` integer not null default 0, `vm_count` integer not null default 0, `seen_at` datetime not null, primary key (`name`));",
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `hypervisor_host`;');
  }
}
