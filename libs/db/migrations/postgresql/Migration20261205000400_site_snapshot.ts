import { Migration } from '@mikro-orm/migrations';

export class Migration20261205000400_site_snapshot extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "site_snapshot" ("id" varchar(36) not null, "site_id" varchar(36) not null, "vm_id" varchar(36) not null, "name" varchar(50) not null, "created_by" varchar(200) not null, "created_at" timestamptz not null, constraint "site_snapshot_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "site_snapshot_site_id_index" on "site_snapshot" ("site_id");`);
    this.addSql(
      `alter table "site_snapshot" add constraint "site_snapshot_site_id_name_unique" unique ("site_id", "name");`,
    );
    this.addSql(`alter table "operation" drop constraint if exists "operation_kind_check";`);
    this.addSql(
      `alter table "operation" add constraint "operation_kind_check" check("kind" in ('provision', 'configure', 'disable', 'enable', 'suspend', 'unsuspend', 'quarantine', 'release-quarantine', 'cancel', 'revert-cancellation', 'delete', 'set-renewal', 'power-on', 'power-off', 'reboot', 'reset', 'create-snapshot', 'revert-snapshot', 'delete-snapshot', 'evacuate-host', 'return-host', 'migrate-vm', 'failover-host'));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "site_snapshot" cascade;`);
  }
}
