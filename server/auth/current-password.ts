import type { Db } from "../../db/client.js";
import { Invalid, TooManyRequests } from "../errors.js";
import { limitKey } from "../net/client-address.js";
import { takeHit } from "../rate-limit.js";
import { forUser, verifyPassword } from "./password.js";

/**
 * Wrong attempts per account at what a session alone must not do (change the password, turn
 * two-factor sign-in on or off): one budget for all of them, so a stolen session cannot guess its
 * way to the password, or to a code, by spreading its guesses over several forms.
 */
const WRONG_ATTEMPTS = { max: 10, windowMinutes: 15 };

/**
 * Runs `check` (the password, and a code where one is asked for) counted against the account's
 * budget: an attempt is taken before anything is checked and given back when every check passes.
 * `check` answers null when all is right, or the refusal of a wrong attempt, which keeps its hit.
 */
export async function withCurrentPassword(db: Db, userId: string, now: Date, check: (passwordIs: (password: string) => Promise<boolean>) => Promise<Invalid | null>): Promise<void> {
  const release = await takeHit(db, [{ key: limitKey("current-password:user", userId), ...WRONG_ATTEMPTS, message: "Too many wrong attempts for this account." }], now);
  let wrong: Invalid | null;
  try {
    const { password_hash } = await db.selectFrom("users").select("password_hash").where("id", "=", userId).executeTakeFirstOrThrow();
    wrong = await check((password) => verifyPassword(password_hash, password, forUser(userId)));
  } catch (error) {
    // Busy hashing (too many at once) says nothing about the password: the attempt is given back.
    if (error instanceof TooManyRequests) await release();
    throw error;
  }
  if (wrong) throw wrong;
  await release();
}
