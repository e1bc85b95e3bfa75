import { Migration } from '@mikro-orm/migrations';

/** A reset database password waits in `pending` until a configuration run sets it. */
export class Migration20261205030000_server_secret_pending extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "server_secret" add column "pending" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "server_secret" drop column "pending";`);
  }
}
