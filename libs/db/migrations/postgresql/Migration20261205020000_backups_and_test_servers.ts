import { Migration } from '@mikro-orm/migrations';

/** Nightly backups, and the operation kinds of backups, test servers and OS upgrades. */
export class Migration20261205020000_backups_and_test_servers extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "site_backup" ("id" varchar(36) not null, "site_id" varchar(36) not null, "vm_id" varchar(36) not null, "name" varchar(10) not null, "taken_at" timestamptz not null, constraint "site_backup_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "site_backup_site_id_index" on "site_backup" ("site_id");`);
    this.addSql(
      `alter table "site_backup" add constraint "site_backup_site_id_vm_id_name_unique" unique ("site_id", "vm_id", "name");`,
    );
    this.addSql(`alter table "operation" drop constraint if exists "operation_kind_check";`);
    this.addSql(
      `alter table "operation" add constraint "operation_kind_check" check("kind" in ('provision', 'configure', 'disable', 'enable', 'suspend', 'unsuspend', 'quarantine', 'release-quarantine', 'cancel', 'revert-cancellation', 'delete', 'set-renewal', 'power-on', 'power-off', 'reboot', 'reset', 'create-snapshot', 'revert-snapshot', 'delete-snapshot', 'create-test-server', 'restore-backup', 'switch-test-server', 'delete-test-server', 'back-up', 'upgrade', 'approve-upgrade', 'cancel-upgrade', 'evacuate-host', 'return-host', 'migrate-vm', 'failover-host'));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "site_backup" cascade;`);
  }
}
