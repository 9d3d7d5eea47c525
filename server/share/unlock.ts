import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { verifyPassword } from "../auth/password.js";
import { env } from "../env.js";
import { Unauthorized } from "../errors.js";
import { takeHit } from "../rate-limit.js";
import { fingerprint, findLink, UNLOCK_HOURS } from "./access.js";

export const WRONG_PASSWORD = "Incorrect password. Please try again.";
const TOO_MANY = "Too many incorrect passwords. Please wait before trying again.";

/**
 * Checks a password for a link. Attempts are counted per link and per client address in Postgres
 * before the hash is checked, so every instance shares the budget and a burst cannot overshoot it;
 * a correct password gives its attempt back.
 */
export async function unlockLink(db: Db, input: { slug: string; password: string }, ip: string, now = new Date()) {
  const link = await findLink(db, input.slug);
  const expiresAt = new Date(now.getTime() + UNLOCK_HOURS * 3600_000);
  const secret = env().sessionSecrets[0]!;
  if (!link.passwordHash) return { fingerprint: fingerprint(link, secret), expiresAt };
  const release = await takeHit(db, [`unlock:slug:${link.id}`, `unlock:ip:${ip}`], env().unlockLimit, TOO_MANY, now);
  const ok = await verifyPassword(link.passwordHash, input.password);
  if (!ok) {
    await db
      .updateTable("shared_links")
      .set({ failed_unlock_count: sql`failed_unlock_count + 1`, last_failed_unlock_at: now })
      .where("id", "=", link.id)
      .execute();
    throw new Unauthorized(WRONG_PASSWORD, "password");
  }
  await release();
  return { fingerprint: fingerprint(link, secret), expiresAt };
}
