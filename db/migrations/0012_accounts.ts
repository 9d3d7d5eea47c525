import { type Kysely, sql } from "kysely";

/**
 * Accounts as people expect them: a forgotten password is reset by mail, a sign-in can ask for a
 * second factor, and one's sessions can be listed and ended.
 *
 * - `password_changed_at`: a reset link or a pending sign-in made before it is dead.
 * - `password_resets`: only the SHA-256 of a link's token; one hour; deleted once used and
 *   whenever the password changes.
 * - `sessions.user_agent` / `last_seen_at`: what the sessions list shows (the raw header, parsed on display).
 * - `totp_secret` (on) / `totp_pending_secret` (being set up) and `totp_last_step`: the last time
 *   step a code was accepted for, so no code is accepted twice.
 * - `recovery_codes`: SHA-256 of each code; `used_at` once it was used.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table users
    add column password_changed_at timestamptz not null default now(),
    add column totp_secret text,
    add column totp_pending_secret text,
    add column totp_last_step integer not null default 0`.execute(db);
  await sql`alter table sessions
    add column user_agent text not null default '',
    add column last_seen_at timestamptz not null default now()`.execute(db);
  await sql`create table password_resets (
    token_hash text primary key,
    user_id uuid not null references users(id) on delete cascade,
    expires_at timestamptz not null,
    created_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index password_resets_user_idx on password_resets (user_id)`.execute(db);
  await sql`create table recovery_codes (
    user_id uuid not null references users(id) on delete cascade,
    code_hash text not null,
    used_at timestamptz,
    primary key (user_id, code_hash)
  )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table recovery_codes`.execute(db);
  await sql`drop table password_resets`.execute(db);
  await sql`alter table sessions drop column user_agent, drop column last_seen_at`.execute(db);
  await sql`alter table users drop column password_changed_at, drop column totp_secret, drop column totp_pending_secret, drop column totp_last_step`.execute(db);
}
