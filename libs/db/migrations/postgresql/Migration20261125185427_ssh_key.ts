import { Migration } from '@mikro-orm/migrations';

export class Migration20261125185427_ssh_key extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "ssh_key" ("id" varchar(36) not null, "user_id" varchar(200) not null, "type" text check ("type" in ('ed25519', 'ecdsa', 'rsa', 'ed25519-sk', 'ecdsa-sk')) not null, "bits" int not null, "public_key" text not null, "fingerprint" varchar(60) not null, "comment" varchar(100) null, "created_at" timestamptz not null, constraint "ssh_key_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "ssh_key_user_id_index" on "ssh_key" ("user_id");`);
    this.addSql(
      `alter table "ssh_key" add constraint "ssh_key_user_id_fingerprint_unique" unique ("user_id", "fingerprint");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "ssh_key" cascade;`);
  }
}
