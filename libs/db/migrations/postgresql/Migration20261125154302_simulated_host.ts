import { Migration } from '@mikro-orm/migrations';

export class Migration20261125154302_simulated_host extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "simulated_vm" add column "host" varchar(60) not null default 'sim-host-1';`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "simulated_vm" drop column "host";`);
  }
}
