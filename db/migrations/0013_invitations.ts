import { type Kysely, sql } from "kysely";

/**
 * Invitations to a site: an admin names an address and a role, and the person at that address
 * joins by a one-time link.
 *
 * - `token_hash`: only the SHA-256 of the link's token; a new one on every resend (the old link dies).
 * - One pending invitation per address per site (`lower(email)`): inviting again is a resend.
 * - `role`: never `owner`; an owner is who made the site.
 * - `sent_at`: when the last mail went out (null while mail is off: the admin passes the link on).
 * - Accepting or revoking deletes the row; a site's or inviter's deletion takes it along.
 *
 * The TOTP secrets of 0012 are encrypted at start-up by the server, not here: the key comes from
 * SESSION_SECRET, which migrations do not read (see server/auth/secret-box.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table site_invitations (
    id uuid primary key default gen_random_uuid(),
    site_id uuid not null references sites(id) on delete cascade,
    email text not null,
    role text not null check (role in ('admin', 'viewer')),
    token_hash text not null,
    invited_by uuid not null references users(id) on delete cascade,
    created_at timestamptz not null default now(),
    sent_at timestamptz,
    expires_at timestamptz not null,
    constraint site_invitations_token_key unique (token_hash)
  )`.execute(db);
  await sql`create unique index site_invitations_site_email_key on site_invitations (site_id, lower(email))`.execute(db);
  await sql`create index site_invitations_invited_by_idx on site_invitations (invited_by)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table site_invitations`.execute(db);
}
