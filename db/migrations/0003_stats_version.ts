import { type Kysely, sql } from "kysely";

/**
 * Each app instance keeps a columnar copy of a site's finished days. Anything that rewrites those
 * days (an import, a repair) bumps the site's stats version, and every instance then rebuilds its
 * copy of that site from the tables.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table sites add column stats_version integer not null default 0`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table sites drop column stats_version`.execute(db);
}
