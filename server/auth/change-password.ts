import type { Db } from "../../db/client.js";
import { Invalid, TooManyRequests } from "../errors.js";
import { limitKey } from "../net/client-address.js";
import { takeHit } from "../rate-limit.js";
import { forUser, hashPassword, verifyPassword } from "./password.js";
import { setPassword } from "./password-reset.js";
import { sha256Hex } from "./tokens.js";

/** Wrong current passwords per account: a stolen session cannot guess its way to the password. */
const WRONG_CURRENT = { max: 10, windowMinutes: 15 };

/**
 * Checks the current password (counted like a login), then sets the new one. Reset links die with
 * the old password; other sessions end unless the person chose to keep them.
 */
export async function changePassword(db: Db, userId: string, input: { currentPassword: string; password: string; endOtherSessions: boolean }, sessionToken: string, now: Date) {
  const release = await takeHit(db, [{ key: limitKey("password-change:user", userId), ...WRONG_CURRENT, message: "Too many wrong passwords." }], now);
  const user = await db.selectFrom("users").select("password_hash").where("id", "=", userId).executeTakeFirstOrThrow();
  let ok: boolean;
  try {
    ok = await verifyPassword(user.password_hash, input.currentPassword, forUser(userId));
  } catch (error) {
    if (error instanceof TooManyRequests) await release();
    throw error;
  }
  if (!ok) throw new Invalid("The current password is not right", "currentPassword");
  await release();
  const hash = await hashPassword(input.password, forUser(userId));
  await db.transaction().execute((trx) => setPassword(trx, userId, hash, now, { keepSession: sha256Hex(sessionToken), keepOthers: !input.endOtherSessions }));
  return { ok: true as const };
}
