import { type Kysely, sql } from "kysely";

/**
 * How each shared link is used, by site-local day: views (pages, not API calls) and unique viewers
 * (a hash with the day's salt, as for site visitors: no address is kept, and after the salt is
 * deleted nobody can tie a viewer to the next day's), and failed unlocks by hour, for the spike flag.
 */
const statements = [
  `create table link_usage_daily (
    link_id uuid not null references shared_links(id) on delete cascade,
    day date not null,
    views integer not null default 0 check (views >= 0),
    primary key (link_id, day)
  )`,
  `create table link_viewers (
    link_id uuid not null references shared_links(id) on delete cascade,
    day date not null,
    viewer bigint not null,
    primary key (link_id, day, viewer)
  )`,
  `create table link_failed_unlocks (
    link_id uuid not null references shared_links(id) on delete cascade,
    hour timestamptz not null,
    failures integer not null check (failures > 0),
    primary key (link_id, hour)
  )`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table link_failed_unlocks`.execute(db);
  await sql`drop table link_viewers`.execute(db);
  await sql`drop table link_usage_daily`.execute(db);
}
