import { Migration } from '@mikro-orm/migrations';

export class Migration20261204220000_login_session extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "login_session" ("id" varchar(36) not null, "user_id" varchar(200) not null, "secret_hash" varchar(100) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "last_seen_at" timestamptz null, "ended_at" timestamptz null, constraint "login_session_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "login_session_user_id_index" on "login_session" ("user_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "login_session" cascade;`);
  }
}
