import type { Db } from "../../db/client.js";
import { Invalid } from "../errors.js";
import { withCurrentPassword } from "./current-password.js";
import { forUser, hashPassword } from "./password.js";
import { setPassword } from "./password-reset.js";
import { sha256Hex } from "./tokens.js";

/**
 * Checks the current password (counted like a login), then sets the new one. Reset links die with
 * the old password; other sessions end unless the person chose to keep them.
 */
export async function changePassword(db: Db, userId: string, input: { currentPassword: string; password: string; endOtherSessions: boolean }, sessionToken: string, now: Date) {
  await withCurrentPassword(db, userId, now, async (passwordIs) =>
    (await passwordIs(input.currentPassword)) ? null : new Invalid("The current password is not right", "currentPassword"),
  );
  const hash = await hashPassword(input.password, forUser(userId));
  await db.transaction().execute((trx) => setPassword(trx, userId, hash, now, { keepSession: sha256Hex(sessionToken), keepOthers: !input.endOtherSessions }));
  return { ok: true as const };
}
