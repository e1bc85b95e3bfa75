import { Migration } from '@mikro-orm/migrations';

export class Migration20261125135955_billing_reference extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "site" add column "billing_reference" varchar(100) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "site" drop column "billing_reference";`);
  }
}
