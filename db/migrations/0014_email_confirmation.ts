import { type Kysely, sql } from "kysely";

/**
 * `users.email_confirmed_at`: when the account's owner proved they read mail at its address (a
 * link mailed to it, or a password reset by mail). Sign-up is open and takes any address, so
 * until then no mail goes out on the account's behalf: not to recipients it names, not even to
 * the address itself as a digest preview. Accounts from before are not confirmed either: nothing
 * proved their addresses.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table users add column email_confirmed_at timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table users drop column email_confirmed_at`.execute(db);
}
