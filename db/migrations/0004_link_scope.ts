import { type Kysely, sql } from "kysely";

/**
 * What a shared link may reveal and for how long (SPEC §3a). Defaults keep every existing link
 * exactly as it was: no expiry, active, all dates, all sections, period and filters allowed, no
 * export. `resumed_at` changes on every resume, and unlocks are bound to it, so an unlock made
 * before a pause does not survive it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table shared_links
    add column expires_at timestamptz,
    add column paused_at timestamptz,
    add column resumed_at timestamptz,
    add column bounds_from date,
    add column bounds_to date,
    add column visible_sections jsonb,
    add column allow_period_change boolean not null default true,
    add column allow_filters boolean not null default true,
    add column allow_export boolean not null default false,
    add constraint shared_links_bounds_check
      check (bounds_to is null or (bounds_from is not null and bounds_to >= bounds_from)),
    add constraint shared_links_sections_check
      check (visible_sections is null or jsonb_typeof(visible_sections) = 'array')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table shared_links
    drop column expires_at, drop column paused_at, drop column resumed_at,
    drop column bounds_from, drop column bounds_to, drop column visible_sections,
    drop column allow_period_change, drop column allow_filters, drop column allow_export`.execute(db);
}
