import { Migration } from '@mikro-orm/migrations';

export class Migration20261205000500_server_secret extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "server_secret" ("vm_id" varchar(36) not null, "name" varchar(60) not null, "sealed" text not null, "updated_by" varchar(200) not null, "updated_at" timestamptz not null, constraint "server_secret_pkey" primary key ("vm_id", "name"));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "server_secret" cascade;`);
  }
}
