import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { Unauthorized } from "../errors.js";
import { generateToken, sha256Hex } from "./tokens.js";

const DAY = 24 * 60 * 60 * 1000;
export const SESSION_DAYS = 30;
/** "Last seen" is written at most this often per session, not on every request. */
const SEEN_EVERY_MS = 5 * 60 * 1000;
/** What is kept of a user agent: enough to tell the browser and system, bounded. */
const USER_AGENT_MAX = 400;

export interface SessionUser {
  id: string;
  email: string;
}

export const PASSWORD_CHANGED_MEANWHILE = "The password changed while you were logging in. Log in again with the new one.";

/**
 * A new session. `passwordSeen`: the account's password_changed_at when its password (and code)
 * were checked; the session is made only if it is still that, in one statement that locks the
 * account's row, so a sign-in that checked the old password just before a reset cannot make a
 * session just after the reset ended them all.
 */
export async function createSession(db: Db, userId: string, now = new Date(), userAgent = "", passwordSeen?: Date): Promise<{ token: string; expiresAt: Date }> {
  const token = generateToken();
  const expiresAt = new Date(now.getTime() + SESSION_DAYS * DAY);
  const id = sha256Hex(token);
  const agent = userAgent.slice(0, USER_AGENT_MAX);
  if (!passwordSeen) {
    await db.insertInto("sessions").values({ id, user_id: userId, expires_at: expiresAt, user_agent: agent, last_seen_at: now, created_at: now }).execute();
    return { token, expiresAt };
  }
  const { rows } = await sql<{ id: string }>`
    insert into sessions (id, user_id, expires_at, user_agent, last_seen_at, created_at)
    select ${id}, u.id, ${expiresAt}, ${agent}, ${now}, ${now} from (
      select id from users where id = ${userId} and date_trunc('milliseconds', password_changed_at) = ${passwordSeen} for share
    ) u
    returning id`.execute(db);
  if (rows.length === 0) throw new Unauthorized(PASSWORD_CHANGED_MEANWHILE);
  return { token, expiresAt };
}

/**
 * Sliding expiry: a session used in the second half of its life is extended to a full 30 days.
 * Its "last seen" moves along, a few minutes at a time.
 */
export async function validateSession(db: Db, token: string, now = new Date()): Promise<SessionUser | null> {
  const id = sha256Hex(token);
  const row = await db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select(["users.id", "users.email", "sessions.expires_at", "sessions.last_seen_at"])
    .where("sessions.id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  if (row.expires_at.getTime() <= now.getTime()) {
    await db.deleteFrom("sessions").where("id", "=", id).execute();
    return null;
  }
  const extend = row.expires_at.getTime() - now.getTime() < (SESSION_DAYS / 2) * DAY;
  const seen = now.getTime() - row.last_seen_at.getTime() >= SEEN_EVERY_MS;
  if (extend || seen) {
    await db
      .updateTable("sessions")
      .set({ last_seen_at: now, ...(extend && { expires_at: new Date(now.getTime() + SESSION_DAYS * DAY) }) })
      .where("id", "=", id)
      .execute();
  }
  return { id: row.id, email: row.email };
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom("sessions").where("id", "=", sha256Hex(token)).execute();
}
