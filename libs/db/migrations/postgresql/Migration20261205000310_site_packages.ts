import { Migration } from '@mikro-orm/migrations';

export class Migration20261205000310_site_packages extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "allowed_package" ("name" varchar(100) not null, "description" varchar(200) not null, "allowed_by" varchar(200) not null, "allowed_at" timestamptz not null, constraint "allowed_package_pkey" primary key ("name"));`,
    );

    this.addSql(
      `create table "site_package" ("id" varchar(36) not null, "site_id" varchar(36) not null, "name" varchar(100) not null, "added_by" varchar(200) not null, "added_at" timestamptz not null, constraint "site_package_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "site_package_site_id_index" on "site_package" ("site_id");`);
    this.addSql(
      `alter table "site_package" add constraint "site_package_site_id_name_unique" unique ("site_id", "name");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "allowed_package" cascade;`);

    this.addSql(`drop table if exists "site_package" cascade;`);
  }
}
