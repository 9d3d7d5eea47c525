import type { Db } from "../../db/client.js";
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

export async function createSession(db: Db, userId: string, now = new Date(), userAgent = ""): Promise<{ token: string; expiresAt: Date }> {
  const token = generateToken();
  const expiresAt = new Date(now.getTime() + SESSION_DAYS * DAY);
  await db
    .insertInto("sessions")
    .values({ id: sha256Hex(token), user_id: userId, expires_at: expiresAt, user_agent: userAgent.slice(0, USER_AGENT_MAX), last_seen_at: now, created_at: now })
    .execute();
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
