import { type Kysely, sql } from "kysely";

/**
 * With STATS_ENGINE=clickhouse every instance reads one shared ClickHouse copy of the events, and a
 * site's finished days are copied by one instance at a time: the one holding the site's lease
 * here. A lease runs out on its own (`expires_at`), so an instance that dies while copying holds
 * the site only until then, and another one finishes the copy.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table clickhouse_copy_leases (
    site_id uuid primary key references sites(id) on delete cascade,
    holder text not null,
    expires_at timestamptz not null
  )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table clickhouse_copy_leases`.execute(db);
}
