import { Migration } from '@mikro-orm/migrations';

export class Migration20261125133831_warm_pool extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "vm" drop constraint if exists "vm_status_check";`);

    this.addSql(
      `alter table "network_config" alter column "site_id" type varchar(36) using ("site_id"::varchar(36));`,
    );
    this.addSql(`alter table "network_config" alter column "site_id" drop not null;`);

    this.addSql(`alter table "vm" add column "image" varchar(40) not null default 'debian-12';`);
    this.addSql(
      `alter table "vm" alter column "site_id" type varchar(36) using ("site_id"::varchar(36));`,
    );
    this.addSql(`alter table "vm" alter column "site_id" drop not null;`);
    this.addSql(
      `alter table "vm" add constraint "vm_status_check" check("status" in ('creating', 'installing', 'installed', 'configuring', 'ready', 'pooled'));`,
    );
    this.addSql(`create index "vm_image_index" on "vm" ("image");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "vm" drop constraint if exists "vm_status_check";`);

    this.addSql(
      `alter table "network_config" alter column "site_id" type varchar(36) using ("site_id"::varchar(36));`,
    );
    this.addSql(`alter table "network_config" alter column "site_id" set not null;`);

    this.addSql(`drop index "vm_image_index";`);
    this.addSql(`alter table "vm" drop column "image";`);

    this.addSql(
      `alter table "vm" alter column "site_id" type varchar(36) using ("site_id"::varchar(36));`,
    );
    this.addSql(`alter table "vm" alter column "site_id" set not null;`);
    this.addSql(
      `alter table "vm" add constraint "vm_status_check" check("status" in ('creating', 'installing', 'installed', 'configuring', 'ready'));`,
    );
  }
}
