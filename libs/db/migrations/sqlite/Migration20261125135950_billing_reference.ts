import { Migration } from '@mikro-orm/migrations';

export class Migration20261125135950_billing_reference extends Migration {
  // Written by hand: adding a nullable column needs no table rebuild in SQLite.
  override async up(): Promise<void> {
    this.addSql(`alter table \`site\` add column \`billing_reference\` text null;`);
  }
}
