import { Migration } from '@mikro-orm/migrations';

/** Browser login sessions. Hand-written from the generated diff, as for api_token. */
export class Migration20261204220000_login_session extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`login_session\` (\`id\` text not null, \`user_id\` text not null, \`secret_hash\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`last_seen_at\` datetime null, \`ended_at\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`login_session_user_id_index\` on \`login_session\` (\`user_id\`);`);
  }
}
