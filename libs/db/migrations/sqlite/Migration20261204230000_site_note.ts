import { Migration } from '@mikro-orm/migrations';

/** Operators' notes on sites. Hand-written from the generated diff, as for api_token. */
export class Migration20261204230000_site_note extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`site_note\` (\`id\` text not null, \`site_id\` text not null, \`author\` text not null, \`body\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`site_note_site_id_created_at_index\` on \`site_note\` (\`site_id\`, \`created_at\`);`,
    );
  }
}
