import { Migration } from '@mikro-orm/migrations';

export class Migration20261205000100_notification_delivery extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "notification" add column "audience" varchar(20) null, add column "failed_at" timestamptz null, add column "attempts" int not null default 0, add column "sending_at" timestamptz null, add column "next_attempt_at" timestamptz null, add column "last_error" varchar(500) null, add column "delivered_to" varchar(2000) null;`,
    );
    this.addSql(
      `create index "notification_sent_at_failed_at_index" on "notification" ("sent_at", "failed_at");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "notification_sent_at_failed_at_index";`);
    this.addSql(
      `alter table "notification" drop column "audience", drop column "failed_at", drop column "attempts", drop column "sending_at", drop column "next_attempt_at", drop column "last_error", drop column "delivered_to";`,
    );
  }
}
