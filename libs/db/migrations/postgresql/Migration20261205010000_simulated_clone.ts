import { Migration } from '@mikro-orm/migrations';

/** Where a simulated clone's disks came from. */
export class Migration20261205010000_simulated_clone extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "simulated_vm" add column "cloned_from" varchar(36) null, add column "cloned_snapshot" varchar(80) null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table "simulated_vm" drop column "cloned_from", drop column "cloned_snapshot";`,
    );
  }
}
