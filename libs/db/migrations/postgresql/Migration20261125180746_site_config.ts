import { Migration } from '@mikro-orm/migrations';

export class Migration20261125180746_site_config extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "configuration_run" ("id" varchar(200) not null, "vm_id" varchar(36) not null, "site_id" varchar(36) null, "operation_id" varchar(36) null, "status" text check ("status" in ('running', 'succeeded', 'failed')) not null, "adapter" varchar(20) not null, "ok" int not null, "changed" int not null, "failed" int not null, "unreachable" int not null, "failed_task" varchar(500) null, "failed_host" varchar(253) null, "output" text not null, "started_at" timestamptz not null, "finished_at" timestamptz null, constraint "configuration_run_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "configuration_run_vm_id_index" on "configuration_run" ("vm_id");`);
    this.addSql(
      `create index "configuration_run_operation_id_started_at_index" on "configuration_run" ("operation_id", "started_at");`,
    );

    this.addSql(
      `create table "vhost" ("id" varchar(36) not null, "site_id" varchar(36) not null, "name" varchar(63) not null, "server_name" varchar(253) not null, "aliases" jsonb not null, "created_by" varchar(200) not null, "created_at" timestamptz not null, constraint "vhost_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "vhost_site_id_index" on "vhost" ("site_id");`);
    this.addSql(
      `alter table "vhost" add constraint "vhost_site_id_name_unique" unique ("site_id", "name");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "configuration_run" cascade;`);

    this.addSql(`drop table if exists "vhost" cascade;`);
  }
}
