import { Migration } from '@mikro-orm/migrations';

export class Migration20261125131439_site_lifecycle extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "service" ("id" varchar(36) not null, "site_id" varchar(36) not null, "kind" text check ("kind" in ('production', 'test')) not null, "vm_id" varchar(36) null, "created_at" timestamptz not null, constraint "service_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "service_site_id_index" on "service" ("site_id");`);
    this.addSql(
      `alter table "service" add constraint "service_site_id_kind_unique" unique ("site_id", "kind");`,
    );

    this.addSql(
      `create table "site_role" ("id" varchar(36) not null, "site_id" varchar(36) not null, "subject_type" text check ("subject_type" in ('user', 'group')) not null, "subject" varchar(200) not null, "role" text check ("role" in ('admin', 'ssh-user')) not null, "granted_by" varchar(200) not null, "created_at" timestamptz not null, constraint "site_role_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "site_role_site_id_index" on "site_role" ("site_id");`);
    this.addSql(
      `create index "site_role_subject_type_subject_index" on "site_role" ("subject_type", "subject");`,
    );
    this.addSql(
      `alter table "site_role" add constraint "site_role_site_id_subject_type_subject_role_unique" unique ("site_id", "subject_type", "subject", "role");`,
    );

    this.addSql(`alter table "operation" drop constraint if exists "operation_kind_check";`);

    this.addSql(`alter table "site" drop constraint if exists "site_status_check";`);

    this.addSql(
      `alter table "operation" add column "requested_by" varchar(200) not null default 'system', add column "idempotency_key" varchar(100) null, add column "request_fingerprint" varchar(64) null;`,
    );
    this.addSql(
      `alter table "operation" add constraint "operation_kind_check" check("kind" in ('provision', 'configure', 'disable', 'enable', 'suspend', 'unsuspend', 'quarantine', 'release-quarantine', 'cancel', 'revert-cancellation', 'delete', 'set-renewal', 'power-on', 'power-off', 'reboot', 'reset'));`,
    );
    this.addSql(
      `alter table "operation" add constraint "operation_site_id_idempotency_key_unique" unique ("site_id", "idempotency_key");`,
    );

    this.addSql(
      `alter table "site" add column "renews" boolean not null default true, add column "suspension_reason" varchar(500) null, add column "delete_after" timestamptz null;`,
    );
    this.addSql(
      `alter table "site" add constraint "site_status_check" check("status" in ('requested', 'installing', 'ready', 'configuring', 'configuring-queued', 'disabled', 'suspended', 'quarantined', 'cancelled', 'deleted', 'failed'));`,
    );

    this.addSql(
      `alter table "vm" add column "power_state" text check ("power_state" in ('poweredOn', 'poweredOff')) not null default 'poweredOn';`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "service" cascade;`);

    this.addSql(`drop table if exists "site_role" cascade;`);

    this.addSql(`alter table "operation" drop constraint if exists "operation_kind_check";`);

    this.addSql(`alter table "site" drop constraint if exists "site_status_check";`);

    this.addSql(
      `alter table "operation" drop constraint "operation_site_id_idempotency_key_unique";`,
    );
    this.addSql(
      `alter table "operation" drop column "requested_by", drop column "idempotency_key", drop column "request_fingerprint";`,
    );

    this.addSql(
      `alter table "operation" add constraint "operation_kind_check" check("kind" in ('provision'));`,
    );

    this.addSql(
      `alter table "site" drop column "renews", drop column "suspension_reason", drop column "delete_after";`,
    );

    this.addSql(
      `alter table "site" add constraint "site_status_check" check("status" in ('requested', 'installing', 'ready', 'failed'));`,
    );

    this.addSql(`alter table "vm" drop column "power_state";`);
  }
}
