import { Migration } from '@mikro-orm/migrations';

/**
 * Hand-written: the generated diff also rebuilt operation, site, site_event and vm, whose CHECK
 * constraints it cannot compare (the rebuild of site_event would drop its append-only triggers).
 */
export class Migration20261125154303_simulated_host extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table \`simulated_vm\` add column \`host\` text not null default 'sim-host-1';`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table \`simulated_vm\` drop column \`host\`;`);
  }
}
