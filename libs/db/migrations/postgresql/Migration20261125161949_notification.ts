import { Migration } from '@mikro-orm/migrations';

export class Migration20261125161949_notification extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "notification" ("id" varchar(36) not null, "site_id" varchar(36) null, "kind" varchar(60) not null, "recipients" varchar(2000) not null, "subject" varchar(200) not null, "body" text not null, "dedupe_key" varchar(200) not null, "created_at" timestamptz not null, "sent_at" timestamptz null, constraint "notification_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "notification_site_id_index" on "notification" ("site_id");`);
    this.addSql(
      `alter table "notification" add constraint "notification_dedupe_key_unique" unique ("dedupe_key");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "notification" cascade;`);
  }
}
