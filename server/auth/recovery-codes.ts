import { randomInt } from "node:crypto";
import type { Db } from "../../db/client.js";
import { sha256Hex } from "./tokens.js";

export const RECOVERY_CODES = 10;
/** No 0/o, 1/l/i: read off paper and typed without doubt. 10 characters ≈ 50 bits. */
const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

function newCode(): string {
  const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** How a code is compared: case, spaces and the dash do not matter. */
const normal = (code: string) => code.toLowerCase().replace(/[\s-]+/g, "");

/** Replaces the account's recovery codes with ten new ones; only their SHA-256 is kept. */
export async function newRecoveryCodes(trx: Db, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODES }, newCode);
  await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
  await trx
    .insertInto("recovery_codes")
    .values(codes.map((code) => ({ user_id: userId, code_hash: sha256Hex(normal(code)) })))
    .execute();
  return codes;
}

/** Uses a recovery code up; false for one that is unknown or was used. One statement, so it is used once. */
export async function useRecoveryCode(db: Db, userId: string, code: string, now: Date): Promise<boolean> {
  const typed = normal(code);
  if (!/^[a-z0-9]{10}$/.test(typed)) return false;
  const used = await db
    .updateTable("recovery_codes")
    .set({ used_at: now })
    .where("user_id", "=", userId)
    .where("code_hash", "=", sha256Hex(typed))
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(used.numUpdatedRows) === 1;
}
