import { Migration } from '@mikro-orm/migrations';

export class Migration20261205000200_site_certificate extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "site_certificate" ("id" varchar(36) not null, "site_id" varchar(36) not null, "vhost_id" varchar(36) null, "vhost_name" varchar(63) not null, "names" jsonb not null, "sealed_key" text not null, "csr" text not null, "certificate" text null, "chain" text null, "issuer" varchar(1000) null, "not_before" timestamptz null, "not_after" timestamptz null, "fingerprint" varchar(64) null, "status" text check ("status" in ('requested', 'active', 'expired', 'replaced')) not null, "pending_vhost" varchar(63) null, "idempotency_key" varchar(100) null, "created_by" varchar(200) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "site_certificate_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "site_certificate_site_id_index" on "site_certificate" ("site_id");`);
    this.addSql(
      `create index "site_certificate_status_not_after_index" on "site_certificate" ("status", "not_after");`,
    );
    this.addSql(
      `alter table "site_certificate" add constraint "site_certificate_site_id_idempotency_key_unique" unique ("site_id", "idempotency_key");`,
    );
    this.addSql(
      `alter table "site_certificate" add constraint "site_certificate_site_id_pending_vhost_unique" unique ("site_id", "pending_vhost");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "site_certificate" cascade;`);
  }
}
