import { Migration } from '@mikro-orm/migrations';

/** The people a configuration run applied, as a digest. Hand-written. */
export class Migration20261125192000_people_digest extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`configuration_run\` add column \`people_digest\` text null;`);
  }
}
