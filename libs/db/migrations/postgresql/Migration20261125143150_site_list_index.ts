import { Migration } from '@mikro-orm/migrations';

export class Migration20261125143150_site_list_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "site_created_at_id_index" on "site" ("created_at", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "site_created_at_id_index";`);
  }
}
