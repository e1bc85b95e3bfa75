import { Migration } from '@mikro-orm/migrations';

export class Migration20261125143148_site_list_index extends Migration {
  // The default order of site lists reads from this index instead of sorting the whole table.
  override async up(): Promise<void> {
    this.addSql(`create index \`site_created_at_id_index\` on \`site\` (\`created_at\`, \`id\`);`);
  }
}
