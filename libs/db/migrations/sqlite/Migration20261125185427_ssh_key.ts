import { Migration } from '@mikro-orm/migrations';

/** Users' SSH public keys. Hand-written from the generated diff, without its rebuilds of tables it cannot compare. */
export class Migration20261125185427_ssh_key extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`ssh_key\` (\`id\` text not null, \`user_id\` text not null, \`type\` text check (\`type\` in ('ed25519', 'ecdsa', 'rsa', 'ed25519-sk', 'ecdsa-sk')) not null, \`bits\` integer not null, \`public_key\` text not null, \`fingerprint\` text not null, \`comment\` text null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`ssh_key_user_id_index\` on \`ssh_key\` (\`user_id\`);`);
    this.addSql(
      `create unique index \`ssh_key_user_id_fingerprint_unique\` on \`ssh_key\` (\`user_id\`, \`fingerprint\`);`,
    );
  }
}
