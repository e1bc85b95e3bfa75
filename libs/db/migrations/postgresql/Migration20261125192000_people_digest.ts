import { Migration } from '@mikro-orm/migrations';

/** The people a configuration run applied, as a digest. */
export class Migration20261125192000_people_digest extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "configuration_run" add column "people_digest" varchar(64) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "configuration_run" drop column "people_digest";`);
  }
}
