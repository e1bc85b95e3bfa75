import { Migration } from '@mikro-orm/migrations';

/** API tokens. Hand-written from the generated diff, without its rebuilds of tables it cannot compare. */
export class Migration20261125190512_api_token extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`api_token\` (\`id\` text not null, \`owner\` text not null, \`name\` text not null, \`secret_hash\` text not null, \`scopes\` json not null, \`site_ids\` json null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`last_used_at\` datetime null, \`revoked_at\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`api_token_owner_index\` on \`api_token\` (\`owner\`);`);
  }
}
