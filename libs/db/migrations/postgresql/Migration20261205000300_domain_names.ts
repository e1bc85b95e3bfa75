import { Migration } from '@mikro-orm/migrations';

/**
 * Domain names and their approval. Generated, then given the data step: every name the existing
 * virtual hosts answer as gets a row, approved. Those names were served before approval existed,
 * and users rely on them; making them wait for an operator would take live sites' names off
 * their servers at the next run without anyone having decided so. Where two virtual hosts held
 * one name (nothing stopped it before), the older keeps it.
 */
export class Migration20261205000300_domain_names extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "domain_name" ("id" varchar(36) not null, "site_id" varchar(36) not null, "vhost_id" varchar(36) not null, "name" varchar(253) not null, "status" text check ("status" in ('approved', 'pending', 'rejected')) not null, "requested_by" varchar(200) not null, "requested_at" timestamptz not null, "decided_by" varchar(200) null, "decided_at" timestamptz null, "reason" varchar(500) null, constraint "domain_name_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "domain_name_site_id_index" on "domain_name" ("site_id");`);
    this.addSql(`create index "domain_name_vhost_id_index" on "domain_name" ("vhost_id");`);
    this.addSql(
      `alter table "domain_name" add constraint "domain_name_name_unique" unique ("name");`,
    );
    this.addSql(
      `create index "domain_name_status_requested_at_index" on "domain_name" ("status", "requested_at");`,
    );
    this.addSql(
      `insert into "domain_name" ("id", "site_id", "vhost_id", "name", "status", "requested_by", "requested_at", "decided_by", "decided_at", "reason")
       select gen_random_uuid()::text, "site_id", "vhost_id", "name", 'approved', "created_by", "created_at", 'system', "created_at", null
       from (
         select "names".*, row_number() over (partition by "name" order by "created_at", "vhost_id") as "claim"
         from (
           select "id" as "vhost_id", "site_id", "server_name" as "name", "created_by", "created_at" from "vhost"
           union
           select "v"."id", "v"."site_id", "a"."alias", "v"."created_by", "v"."created_at"
           from "vhost" "v" cross join jsonb_array_elements_text("v"."aliases") as "a"("alias")
         ) "names"
       ) "claims"
       where "claim" = 1;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "domain_name" cascade;`);
  }
}
