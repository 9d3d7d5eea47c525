import { type Kysely, sql } from "kysely";

// Frozen once landed: later changes go into new numbered migrations.
const up_statements = [
  `create table users (
    id uuid primary key default gen_random_uuid(),
    email text not null check (char_length(email) between 3 and 254),
    password_hash text not null,
    created_at timestamptz not null default now()
  )`,
  `create unique index users_email_key on users (lower(email))`,

  `create table sessions (
    id text primary key check (id ~ '^[0-9a-f]{64}$'),
    user_id uuid not null references users(id) on delete cascade,
    expires_at timestamptz not null,
    created_at timestamptz not null default now()
  )`,
  `create index sessions_user_id_idx on sessions (user_id)`,

  `create table api_keys (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users(id) on delete cascade,
    name text not null check (name = btrim(name) and char_length(name) between 1 and 100),
    key_hash text not null check (key_hash ~ '^[0-9a-f]{64}$'),
    prefix text not null,
    integration boolean not null default false,
    created_at timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at timestamptz,
    constraint api_keys_key_hash_key unique (key_hash)
  )`,
  `create index api_keys_user_id_idx on api_keys (user_id)`,

  `create table sites (
    id uuid primary key default gen_random_uuid(),
    domain text not null check (domain = lower(domain) and char_length(domain) between 1 and 253),
    timezone text not null check (char_length(timezone) between 1 and 64),
    created_at timestamptz not null default now(),
    constraint sites_domain_key unique (domain)
  )`,

  `create table site_memberships (
    site_id uuid not null references sites(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    role text not null check (role in ('owner', 'admin', 'viewer')),
    created_at timestamptz not null default now(),
    primary key (site_id, user_id)
  )`,
  `create index site_memberships_user_id_idx on site_memberships (user_id)`,

  `create table segments (
    id uuid primary key default gen_random_uuid(),
    site_id uuid not null references sites(id) on delete cascade,
    name text not null check (name = btrim(name) and char_length(name) between 1 and 100),
    filters jsonb not null check (jsonb_typeof(filters) = 'array' and jsonb_array_length(filters) between 1 and 20),
    created_by uuid references users(id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint segments_id_site_id_key unique (id, site_id)
  )`,
  `create unique index segments_site_name_key on segments (site_id, lower(name))`,

  `create table shared_links (
    id uuid primary key default gen_random_uuid(),
    site_id uuid not null references sites(id) on delete cascade,
    name text not null check (name = btrim(name) and char_length(name) between 1 and 100),
    slug text not null check (slug ~ '^[A-Za-z0-9_-]{21}$'),
    password_hash text check (password_hash is null or password_hash like '$argon2id$%'),
    password_changed_at timestamptz,
    segment_id uuid,
    integration boolean not null default false,
    view_count bigint not null default 0 check (view_count >= 0),
    last_viewed_at timestamptz,
    failed_unlock_count integer not null default 0 check (failed_unlock_count >= 0),
    last_failed_unlock_at timestamptz,
    created_by uuid references users(id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint shared_links_slug_key unique (slug),
    constraint shared_links_segment_fkey foreign key (segment_id, site_id)
      references segments (id, site_id) on delete restrict
  )`,
  `create unique index shared_links_site_name_key on shared_links (site_id, lower(name))`,
  `create index shared_links_segment_id_idx on shared_links (segment_id) where segment_id is not null`,

  // No foreign key to shared_links: the trail must outlive the link it describes.
  `create table link_audit (
    id bigint generated always as identity primary key,
    link_id uuid not null,
    site_id uuid not null references sites(id) on delete cascade,
    actor_user_id uuid references users(id) on delete set null,
    action text not null check (action in ('create', 'update', 'delete')),
    before jsonb,
    after jsonb,
    created_at timestamptz not null default now()
  )`,
  `create index link_audit_link_id_idx on link_audit (link_id)`,
  `create index link_audit_site_id_idx on link_audit (site_id, created_at)`,

  // Sliding-window counters in one-minute buckets, shared by every app instance.
  `create table rate_limit_hits (
    key text not null,
    bucket timestamptz not null,
    hits integer not null check (hits > 0),
    primary key (key, bucket)
  )`,
  `create index rate_limit_hits_bucket_idx on rate_limit_hits (bucket)`,

  `create table visitor_salts (
    day date primary key,
    salt text not null,
    created_at timestamptz not null default now()
  )`,

  `create table events (
    id bigint generated always as identity primary key,
    site_id uuid not null references sites(id) on delete cascade,
    ts timestamptz not null,
    day date not null,
    name text not null check (char_length(name) between 1 and 120),
    pathname text not null check (char_length(pathname) between 1 and 2000),
    referrer_source text not null default '',
    referrer text not null default '',
    utm_source text not null default '',
    utm_medium text not null default '',
    utm_campaign text not null default '',
    country text not null default '' check (country ~ '^([A-Z]{2})?$'),
    device text not null default '',
    browser text not null default '',
    os text not null default '',
    visitor_id bigint not null,
    session_id bigint not null,
    entry_page text not null
  )`,
  `create index events_site_day_idx on events (site_id, day)`,
  `create index events_site_ts_idx on events (site_id, ts)`,

  `create table visits (
    site_id uuid not null references sites(id) on delete cascade,
    session_id bigint not null,
    visitor_id bigint not null,
    day date not null,
    started_at timestamptz not null,
    ended_at timestamptz not null,
    pageviews integer not null default 0 check (pageviews >= 0),
    events integer not null default 1 check (events >= 1),
    entry_page text not null,
    exit_page text not null,
    referrer_source text not null default '',
    referrer text not null default '',
    utm_source text not null default '',
    utm_medium text not null default '',
    utm_campaign text not null default '',
    country text not null default '',
    device text not null default '',
    browser text not null default '',
    os text not null default '',
    primary key (site_id, session_id),
    check (ended_at >= started_at)
  )`,
  `create index visits_site_day_idx on visits (site_id, day)`,
  `create index visits_visitor_idx on visits (site_id, visitor_id, ended_at desc)`,

  // Per-day results for days that are over, keyed by the exact filter set (segment included).
  `create table stats_day_cache (
    site_id uuid not null references sites(id) on delete cascade,
    day date not null,
    filter_key text not null,
    payload jsonb not null,
    computed_at timestamptz not null default now(),
    used_at timestamptz not null default now(),
    primary key (site_id, filter_key, day)
  )`,
];

const tables = [
  "stats_day_cache", "visits", "events", "visitor_salts", "rate_limit_hits", "link_audit",
  "shared_links", "segments", "site_memberships", "sites", "api_keys", "sessions", "users",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of tables) await sql.raw(`drop table if exists ${table}`).execute(db);
}
