import { Migration } from '@mikro-orm/migrations';

/** Sites' own unix groups. Hand-written from the generated diff. */
export class Migration20261205000320_site_unix_groups extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`site_unix_group\` (\`id\` text not null, \`site_id\` text not null, \`name\` text not null, \`members\` json not null, \`created_by\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`site_unix_group_site_id_index\` on \`site_unix_group\` (\`site_id\`);`,
    );
    this.addSql(
      `create unique index \`site_unix_group_site_id_name_unique\` on \`site_unix_group\` (\`site_id\`, \`name\`);`,
    );
  }
}
