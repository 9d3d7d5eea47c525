import { type Kysely, sql } from "kysely";

// Frozen once landed: later changes go into new numbered migrations.
const up_statements = [
  // Custom properties sent with an event ({"plan": "pro"}), values as text; null when none.
  `alter table events add column props jsonb check (props is null or jsonb_typeof(props) = 'object')`,

  // A goal is a custom event name or a pageview path (with * wildcards), shown under its name.
  `create table goals (
    id uuid primary key default gen_random_uuid(),
    site_id uuid not null references sites(id) on delete cascade,
    kind text not null check (kind in ('event', 'page')),
    event_name text check (event_name is null or char_length(event_name) between 1 and 120),
    page_path text check (page_path is null or (page_path like '/%' and char_length(page_path) between 1 and 2000)),
    name text not null check (name = btrim(name) and char_length(name) between 1 and 120),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check ((kind = 'event') = (event_name is not null) and (kind = 'page') = (page_path is not null))
  )`,
  `create unique index goals_site_name_key on goals (site_id, lower(name))`,
  `create unique index goals_site_match_key on goals (site_id, kind, coalesce(event_name, page_path))`,

  // Rate-limit keys are fixed-length hashes; anything else is a bug, and never a 5 KB key.
  `delete from rate_limit_hits where char_length(key) > 64`,
  `alter table rate_limit_hits add constraint rate_limit_hits_key_length check (char_length(key) <= 64)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table rate_limit_hits drop constraint if exists rate_limit_hits_key_length`).execute(db);
  await sql.raw(`drop table if exists goals`).execute(db);
  await sql.raw(`alter table events drop column if exists props`).execute(db);
}
