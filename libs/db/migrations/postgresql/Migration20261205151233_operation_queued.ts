import { Migration } from '@mikro-orm/migrations';

/**
 * Operations may be `queued` (OS upgrades waiting for room under BERTH_MAX_PENDING_UPGRADES), and
 * are indexed by kind and status, which the upgrade queue counts by.
 */
export class Migration20261205151233_operation_queued extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "operation" drop constraint if exists "operation_status_check";`);
    this.addSql(
      `alter table "operation" add constraint "operation_status_check" check("status" in ('queued', 'running', 'succeeded', 'failed'));`,
    );
    this.addSql(`create index "operation_kind_status_index" on "operation" ("kind", "status");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "operation_kind_status_index";`);
    this.addSql(`alter table "operation" drop constraint if exists "operation_status_check";`);
    this.addSql(
      `alter table "operation" add constraint "operation_status_check" check("status" in ('running', 'succeeded', 'failed'));`,
    );
  }
}
