import { Migration } from '@mikro-orm/migrations';

export class Migration20261204230000_site_note extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "site_note" ("id" varchar(36) not null, "site_id" varchar(36) not null, "author" varchar(200) not null, "body" text not null, "created_at" timestamptz not null, constraint "site_note_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "site_note_site_id_created_at_index" on "site_note" ("site_id", "created_at");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "site_note" cascade;`);
  }
}
