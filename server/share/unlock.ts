import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { verifyPassword } from "../auth/password.js";
import { env } from "../env.js";
import { TooManyRequests, Unauthorized } from "../errors.js";
import { limitKey } from "../net/client-address.js";
import { type Budget, takeHit } from "../rate-limit.js";
import { fingerprint, findLink, requireLive, UNLOCK_HOURS } from "./access.js";

export const WRONG_PASSWORD = "Incorrect password. Please try again.";

/**
 * The budgets a wrong password spends: one client network's own, per link (what a person mistyping
 * meets) and over all links, and the link's ceiling against guessing from many addresses at once,
 * far above a network's own, so one address's failures never lock out a recipient elsewhere.
 */
function unlockBudgets(linkId: string, client: string): Budget[] {
  const { max, linkMax, windowMinutes } = env().unlockLimit;
  return [
    { key: limitKey("unlock:link+client", linkId, client), max, windowMinutes, message: "Too many incorrect passwords from your network." },
    // The same network guessing across many links it has found.
    { key: limitKey("unlock:client", client), max: max * 3, windowMinutes, message: "Too many incorrect passwords from your network." },
    { key: limitKey("unlock:link", linkId), max: linkMax, windowMinutes, message: "This link has had too many incorrect passwords from many places." },
  ];
}

/**
 * Checks a password for a link. Attempts are counted in Postgres before the hash is checked, so
 * every instance shares the budget and a burst cannot overshoot it; a correct password, or a
 * server too busy to check it, gives its attempt back.
 */
export async function unlockLink(db: Db, input: { slug: string; password: string }, client: string, now = new Date()) {
  const link = await findLink(db, input.slug);
  // No password is checked for a link that shows nothing: expired and paused answer the same to all.
  requireLive(link, now);
  const expiresAt = new Date(now.getTime() + UNLOCK_HOURS * 3600_000);
  const secret = env().sessionSecrets[0]!;
  if (!link.passwordHash) return { fingerprint: fingerprint(link, secret), expiresAt };
  const release = await takeHit(db, unlockBudgets(link.id, client), now);
  let ok: boolean;
  try {
    ok = await verifyPassword(link.passwordHash, input.password, client);
  } catch (error) {
    if (error instanceof TooManyRequests) await release();
    throw error;
  }
  if (!ok) {
    await db
      .updateTable("shared_links")
      .set({ failed_unlock_count: sql`failed_unlock_count + 1`, last_failed_unlock_at: now })
      .where("id", "=", link.id)
      .execute();
    // By hour, for the link's usage page and its spike flag.
    await sql`
      insert into link_failed_unlocks (link_id, hour, failures) values (${link.id}, date_trunc('hour', ${now}::timestamptz), 1)
      on conflict (link_id, hour) do update set failures = link_failed_unlocks.failures + 1`.execute(db);
    throw new Unauthorized(WRONG_PASSWORD, "password");
  }
  await release();
  return { fingerprint: fingerprint(link, secret), expiresAt };
}
