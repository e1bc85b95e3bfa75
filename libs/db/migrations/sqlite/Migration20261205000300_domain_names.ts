import { Migration } from '@mikro-orm/migrations';

/**
 * Domain names and their approval. Hand-written from the generated diff, with the data step of
 * the PostgreSQL migration (see there why the existing names are approved). SQLite has no UUID
 * function: the id is a version 4 UUID built from randomblob().
 */
export class Migration20261205000300_domain_names extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`domain_name\` (\`id\` text not null, \`site_id\` text not null, \`vhost_id\` text not null, \`name\` text not null, \`status\` text check (\`status\` in ('approved', 'pending', 'rejected')) not null, \`requested_by\` text not null, \`requested_at\` datetime not null, \`decided_by\` text null, \`decided_at\` datetime null, \`reason\` text null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`domain_name_site_id_index\` on \`domain_name\` (\`site_id\`);`);
    this.addSql(`create index \`domain_name_vhost_id_index\` on \`domain_name\` (\`vhost_id\`);`);
    this.addSql(`create unique index \`domain_name_name_unique\` on \`domain_name\` (\`name\`);`);
    this.addSql(
      `create index \`domain_name_status_requested_at_index\` on \`domain_name\` (\`status\`, \`requested_at\`);`,
    );
    this.addSql(
      `insert into \`domain_name\` (\`id\`, \`site_id\`, \`vhost_id\`, \`name\`, \`status\`, \`requested_by\`, \`requested_at\`, \`decided_by\`, \`decided_at\`, \`reason\`)
       select lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
              \`site_id\`, \`vhost_id\`, \`name\`, 'approved', \`created_by\`, \`created_at\`, 'system', \`created_at\`, null
       from (
         select \`names\`.*, row_number() over (partition by \`name\` order by \`created_at\`, \`vhost_id\`) as \`claim\`
         from (
           select \`id\` as \`vhost_id\`, \`site_id\`, \`server_name\` as \`name\`, \`created_by\`, \`created_at\` from \`vhost\`
           union
           select \`v\`.\`id\`, \`v\`.\`site_id\`, \`a\`.\`value\`, \`v\`.\`created_by\`, \`v\`.\`created_at\`
           from \`vhost\` \`v\`, json_each(\`v\`.\`aliases\`) \`a\`
         ) \`names\`
       ) \`claims\`
       where \`claim\` = 1;`,
    );
  }
}
