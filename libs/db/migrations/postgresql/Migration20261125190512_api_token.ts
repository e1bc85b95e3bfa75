import { Migration } from '@mikro-orm/migrations';

export class Migration20261125190512_api_token extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "api_token" ("id" varchar(36) not null, "owner" varchar(200) not null, "name" varchar(100) not null, "secret_hash" varchar(100) not null, "scopes" jsonb not null, "site_ids" jsonb null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "api_token_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "api_token_owner_index" on "api_token" ("owner");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "api_token" cascade;`);
  }
}
