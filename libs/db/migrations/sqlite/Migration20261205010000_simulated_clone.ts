import { Migration } from '@mikro-orm/migrations';

/**
 * Where a simulated clone's disks came from. Hand-written, as for simulated_host: the generated
 * diff would also rebuild tables whose CHECK constraints it cannot compare.
 */
export class Migration20261205010000_simulated_clone extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`simulated_vm\` add column \`cloned_from\` text null;`);
    this.addSql(`alter table \`simulated_vm\` add column \`cloned_snapshot\` text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table \`simulated_vm\` drop column \`cloned_snapshot\`;`);
    this.addSql(`alter table \`simulated_vm\` drop column \`cloned_from\`;`);
  }
}
