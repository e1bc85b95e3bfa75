import { Migration } from '@mikro-orm/migrations';

/** Secrets Berth keeps per server (a reset database password). Hand-written, as for api_token. */
export class Migration20261205000500_server_secret extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`server_secret\` (\`vm_id\` text not null, \`name\` text not null, \`sealed\` text not null, \`updated_by\` text not null, \`updated_at\` datetime not null, primary key (\`vm_id\`, \`name\`));`,
    );
  }
}
