import { type Kysely, sql } from "kysely";

/**
 * Email digests of a shared link: its schedule, its recipients, and one row per recipient and
 * period that says whether that digest went out. The primary key of `digest_sends` is what makes
 * a period's digest go out once, whichever instance gets to it first and however often it restarts.
 */
const statements = [
  `create table link_digests (
    link_id uuid primary key references shared_links(id) on delete cascade,
    frequency text not null check (frequency in ('weekly', 'monthly')),
    since timestamptz not null default now()
  )`,
  `create table digest_recipients (
    id uuid primary key default gen_random_uuid(),
    link_id uuid not null references shared_links(id) on delete cascade,
    email text not null,
    name text not null default '',
    unsubscribe_token text not null unique,
    created_at timestamptz not null default now(),
    unsubscribed_at timestamptz
  )`,
  `create unique index digest_recipients_link_email on digest_recipients (link_id, lower(email))`,
  `create table digest_sends (
    recipient_id uuid not null references digest_recipients(id) on delete cascade,
    period_from date not null,
    period_to date not null,
    frequency text not null check (frequency in ('weekly', 'monthly')),
    status text not null default 'pending' check (status in ('pending', 'sent', 'failed', 'skipped')),
    attempts integer not null default 0,
    lease_until timestamptz,
    lease_owner text,
    sent_at timestamptz,
    last_error text,
    created_at timestamptz not null default now(),
    primary key (recipient_id, period_from, period_to)
  )`,
  `create index digest_sends_pending on digest_sends (lease_until) where status = 'pending'`,
  // Addresses that unsubscribed and were then removed: an admin cannot add them back. A hash, so
  // the list of people who asked to be left alone is not itself a list of addresses.
  `create table digest_suppressions (
    link_id uuid not null references shared_links(id) on delete cascade,
    email_hash text not null,
    created_at timestamptz not null default now(),
    primary key (link_id, email_hash)
  )`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table digest_suppressions`.execute(db);
  await sql`drop table digest_sends`.execute(db);
  await sql`drop table digest_recipients`.execute(db);
  await sql`drop table link_digests`.execute(db);
}
