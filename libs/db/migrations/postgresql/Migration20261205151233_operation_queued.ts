import { Migration } from '@mikro-orm/migrations';

/** Operations may be `queued` (OS upgrades waiting for room under BERTH_MAX_PENDING_UPGRADES). */
export class Migration20261205151233_operation_queued extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "operation" drop constraint if exists "operation_status_check";`);
    this.addSql(
      `alter table "operation" add constraint "operation_status_check" check("status" in ('queued', 'running', 'succeeded', 'failed'));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "operation" drop constraint if exists "operation_status_check";`);
    this.addSql(
      `alter table "operation" add constraint "operation_status_check" check("status" in ('running', 'succeeded', 'failed'));`,
    );
  }
}
