import { Migration } from '@mikro-orm/migrations';

/** The operators' package allow-list and sites' packages. Hand-written from the generated diff. */
export class Migration20261205000310_site_packages extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`allowed_package\` (\`name\` text not null, \`description\` text not null, \`allowed_by\` text not null, \`allowed_at\` datetime not null, primary key (\`name\`));`,
    );
    this.addSql(
      `create table \`site_package\` (\`id\` text not null, \`site_id\` text not null, \`name\` text not null, \`added_by\` text not null, \`added_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`site_package_site_id_index\` on \`site_package\` (\`site_id\`);`);
    this.addSql(
      `create unique index \`site_package_site_id_name_unique\` on \`site_package\` (\`site_id\`, \`name\`);`,
    );
  }
}
