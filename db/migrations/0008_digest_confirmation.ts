import { type Kysely, sql } from "kysely";

/**
 * Double opt-in for digest recipients: a new recipient waits for confirmation (a token sent by
 * email, stored only as its SHA-256) before any digest or preview reaches them; who added them is
 * kept so caps can count per account; and an address that asked for nothing from a site is kept
 * (as a hash) per site, so no link of that site can add it again.
 *
 * Recipients from before this migration count as confirmed: they already got digests, every one
 * with a one-click unsubscribe, and asking them all to confirm now would stop subscriptions that
 * work without anyone having asked for that (docs/decisions/010-digests.md).
 */
const statements = [
  `alter table digest_recipients
    add column confirmed_at timestamptz,
    add column confirm_token_hash text,
    add column confirm_sent_at timestamptz,
    add column confirm_expires_at timestamptz,
    add column added_by uuid references users(id) on delete set null`,
  `update digest_recipients set confirmed_at = created_at`,
  `create unique index digest_recipients_confirm_token on digest_recipients (confirm_token_hash)`,
  `create index digest_recipients_added_by on digest_recipients (added_by)`,
  `create table digest_site_suppressions (
    site_id uuid not null references sites(id) on delete cascade,
    email_hash text not null,
    created_at timestamptz not null default now(),
    primary key (site_id, email_hash)
  )`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table digest_site_suppressions`.execute(db);
  await sql`drop index digest_recipients_added_by`.execute(db);
  await sql`drop index digest_recipients_confirm_token`.execute(db);
  await sql.raw(
    `alter table digest_recipients drop column confirmed_at, drop column confirm_token_hash, drop column confirm_sent_at, drop column confirm_expires_at, drop column added_by`,
  ).execute(db);
}
