import { Migration } from '@mikro-orm/migrations';

export class Migration20261205000320_site_unix_groups extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "site_unix_group" ("id" varchar(36) not null, "site_id" varchar(36) not null, "name" varchar(32) not null, "members" jsonb not null, "created_by" varchar(200) not null, "created_at" timestamptz not null, constraint "site_unix_group_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "site_unix_group_site_id_index" on "site_unix_group" ("site_id");`);
    this.addSql(
      `alter table "site_unix_group" add constraint "site_unix_group_site_id_name_unique" unique ("site_id", "name");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "site_unix_group" cascade;`);
  }
}
