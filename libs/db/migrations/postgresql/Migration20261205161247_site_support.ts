import { Migration } from '@mikro-orm/migrations';

/** Operators' time-boxed support of a site. */
export class Migration20261205161247_site_support extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "site_support" ("id" varchar(36) not null, "site_id" varchar(36) not null, "user_id" varchar(200) not null, "until" timestamptz not null, "created_at" timestamptz not null, constraint "site_support_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "site_support_until_index" on "site_support" ("until");`);
    this.addSql(
      `alter table "site_support" add constraint "site_support_site_id_user_id_unique" unique ("site_id", "user_id");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "site_support" cascade;`);
  }
}
