import { Migration } from '@mikro-orm/migrations';

/** Hand-written from the generated diff, without its rebuilds of tables it cannot compare. */
export class Migration20261125161951_notification extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`notification\` (\`id\` text not null, \`site_id\` text null, \`kind\` text not null, \`recipients\` text not null, \`subject\` text not null, \`body\` text not null, \`dedupe_key\` text not null, \`created_at\` datetime not null, \`sent_at\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`notification_site_id_index\` on \`notification\` (\`site_id\`);`);
    this.addSql(
      `create unique index \`notification_dedupe_key_unique\` on \`notification\` (\`dedupe_key\`);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `notification`;');
  }
}
