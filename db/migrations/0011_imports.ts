import { type Kysely, sql } from "kysely";

/**
 * Imports of Plausible's CSV export: one row per import (its upload, its job's state and what it
 * added), the uploaded bytes until the job has read them, and the ten tables of daily aggregates,
 * each row carrying the import it came from, so deleting an import deletes exactly its rows.
 * Dashboards read an import's rows only once it is `completed`: a failed or running one adds nothing.
 */
const METRICS = {
  visitors: ["visitors", "pageviews", "bounces", "visits", "visit_duration"],
  sources: ["visitors", "visits", "visit_duration", "bounces", "pageviews"],
  pages: ["visitors", "visits", "pageviews", "exits", "time_on_page"],
  entry_pages: ["visitors", "entrances", "visit_duration", "bounces", "pageviews"],
  exit_pages: ["visitors", "exits", "visit_duration", "bounces", "pageviews"],
  custom_events: ["visitors", "events"],
  locations: ["visitors", "visits", "visit_duration", "bounces", "pageviews"],
  devices: ["visitors", "visits", "visit_duration", "bounces", "pageviews"],
  browsers: ["visitors", "visits", "visit_duration", "bounces", "pageviews"],
  operating_systems: ["visitors", "visits", "visit_duration", "bounces", "pageviews"],
} as const;

const TEXTS: Record<keyof typeof METRICS, string[]> = {
  visitors: [],
  sources: ["source", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"],
  pages: ["hostname", "page"],
  entry_pages: ["entry_page"],
  exit_pages: ["exit_page"],
  custom_events: ["name", "link_url", "path"],
  locations: ["country", "region", "city"],
  devices: ["device"],
  browsers: ["browser", "browser_version"],
  operating_systems: ["operating_system", "operating_system_version"],
};

const importedTable = (table: keyof typeof METRICS) => `create table imported_${table} (
    import_id uuid not null references imports(id) on delete cascade,
    date date not null,
    ${[...TEXTS[table].map((c) => `${c} text not null default ''`), ...METRICS[table].map((c) => `${c} int8 not null default 0`)].join(",\n    ")}
  )`;

const statements = [
  `create table imports (
    id uuid primary key default gen_random_uuid(),
    site_id uuid not null references sites(id) on delete cascade,
    source text not null,
    file_names text not null default '',
    status text not null default 'uploading' check (status in ('uploading', 'pending', 'running', 'completed', 'failed')),
    upload_bytes int8 not null default 0,
    date_from date,
    date_to date,
    progress int not null default 0 check (progress between 0 and 100),
    rows_read int8 not null default 0,
    pageviews int8 not null default 0,
    skipped text not null default '',
    error text,
    attempts int not null default 0,
    lease_until timestamptz,
    lease_owner text,
    created_by uuid references users(id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    completed_at timestamptz
  )`,
  `create index imports_site on imports (site_id, created_at)`,
  `create index imports_waiting on imports (lease_until) where status in ('pending', 'running')`,
  // The uploaded files, in chunks, until the job has read them: any instance can run the job.
  `create table import_uploads (
    import_id uuid not null references imports(id) on delete cascade,
    file_no int not null,
    chunk_no int not null,
    name text not null,
    data bytea not null,
    primary key (import_id, file_no, chunk_no)
  )`,
  ...(Object.keys(METRICS) as (keyof typeof METRICS)[]).flatMap((table) => [
    importedTable(table),
    `create index imported_${table}_import_date on imported_${table} (import_id, date)`,
  ]),
  `alter table sites add column include_imported boolean not null default true`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table sites drop column include_imported`.execute(db);
  for (const table of Object.keys(METRICS)) await sql.raw(`drop table imported_${table}`).execute(db);
  await sql`drop table import_uploads`.execute(db);
  await sql`drop table imports`.execute(db);
}
