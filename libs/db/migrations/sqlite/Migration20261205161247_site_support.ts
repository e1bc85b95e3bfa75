import { Migration } from '@mikro-orm/migrations';

/**
 * Operators' time-boxed support of a site. Hand-written from the generated diff, which also
 * rebuilt every table with a check constraint.
 */
export class Migration20261205161247_site_support extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`site_support\` (\`id\` text not null, \`site_id\` text not null, \`user_id\` text not null, \`until\` datetime not null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`site_support_until_index\` on \`site_support\` (\`until\`);`);
    this.addSql(
      `create unique index \`site_support_site_id_user_id_unique\` on \`site_support\` (\`site_id\`, \`user_id\`);`,
    );
  }
}
