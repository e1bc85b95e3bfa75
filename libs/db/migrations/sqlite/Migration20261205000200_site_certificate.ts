import { Migration } from '@mikro-orm/migrations';

/** Sites' TLS certificates. Hand-written from the PostgreSQL migration, as for site_note. */
export class Migration20261205000200_site_certificate extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`site_certificate\` (\`id\` text not null, \`site_id\` text not null, \`vhost_id\` text null, \`vhost_name\` text not null, \`names\` json not null, \`sealed_key\` text not null, \`csr\` text not null, \`certificate\` text null, \`chain\` text null, \`issuer\` text null, \`not_before\` datetime null, \`not_after\` datetime null, \`fingerprint\` text null, \`status\` text check (\`status\` in ('requested', 'active', 'expired', 'replaced')) not null, \`pending_vhost\` text null, \`idempotency_key\` text null, \`created_by\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`site_certificate_site_id_index\` on \`site_certificate\` (\`site_id\`);`,
    );
    this.addSql(
      `create index \`site_certificate_status_not_after_index\` on \`site_certificate\` (\`status\`, \`not_after\`);`,
    );
    this.addSql(
      `create unique index \`site_certificate_site_id_idempotency_key_unique\` on \`site_certificate\` (\`site_id\`, \`idempotency_key\`);`,
    );
    this.addSql(
      `create unique index \`site_certificate_site_id_pending_vhost_unique\` on \`site_certificate\` (\`site_id\`, \`pending_vhost\`);`,
    );
  }
}
