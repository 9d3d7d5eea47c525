import type { Db } from "../../db/client.js";
import { generateToken, sha256Hex } from "./tokens.js";

const DAY = 24 * 60 * 60 * 1000;
export const SESSION_DAYS = 30;

export interface SessionUser {
  id: string;
  email: string;
}

export async function createSession(db: Db, userId: string, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
  const token = generateToken();
  const expiresAt = new Date(now.getTime() + SESSION_DAYS * DAY);
  await db.insertInto("sessions").values({ id: sha256Hex(token), user_id: userId, expires_at: expiresAt }).execute();
  return { token, expiresAt };
}

/** Sliding expiry: a session used in the second half of its life is extended to a full 30 days. */
export async function validateSession(db: Db, token: string, now = new Date()): Promise<SessionUser | null> {
  const id = sha256Hex(token);
  const row = await db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select(["users.id", "users.email", "sessions.expires_at"])
    .where("sessions.id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  if (row.expires_at.getTime() <= now.getTime()) {
    await db.deleteFrom("sessions").where("id", "=", id).execute();
    return null;
  }
  if (row.expires_at.getTime() - now.getTime() < (SESSION_DAYS / 2) * DAY) {
    await db.updateTable("sessions").set({ expires_at: new Date(now.getTime() + SESSION_DAYS * DAY) }).where("id", "=", id).execute();
  }
  return { id: row.id, email: row.email };
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom("sessions").where("id", "=", sha256Hex(token)).execute();
}
