import { Migration } from '@mikro-orm/migrations';

/** Delivering the notification outbox by e-mail: attempts, lease, outcome. Hand-written. */
export class Migration20261205000100_notification_delivery extends Migration {
  override async up(): Promise<void> {
    for (const column of [
      '`audience` text null',
      '`failed_at` datetime null',
      '`attempts` integer not null default 0',
      '`sending_at` datetime null',
      '`next_attempt_at` datetime null',
      '`last_error` text null',
      '`delivered_to` text null',
    ]) {
      this.addSql(`alter table \`notification\` add column ${column};`);
    }
    this.addSql(
      `create index \`notification_sent_at_failed_at_index\` on \`notification\` (\`sent_at\`, \`failed_at\`);`,
    );
  }
}
