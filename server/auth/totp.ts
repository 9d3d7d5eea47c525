import { randomBytes } from "node:crypto";
import { base32 } from "oslo/encoding";
import { createTOTPKeyURI, generateHOTP } from "oslo/otp";
import { toString as qrSvg } from "qrcode";
import type { Db } from "../../db/client.js";
import { Conflict, Invalid, NotFound } from "../errors.js";
import { forUser, verifyPassword } from "./password.js";
import { newRecoveryCodes, useRecoveryCode } from "./recovery-codes.js";
import { openSecret, sealSecret } from "./secret-box.js";

/** RFC 6238 as authenticator apps expect it: 30-second steps, 6 digits, HMAC-SHA1. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
const ISSUER = "Glimpse";

export const WRONG_CODE = "That code is not right. Enter the current code from your app, or a recovery code.";

const stepAt = (now: Date) => Math.floor(now.getTime() / 1000 / PERIOD_SECONDS);
const keyOf = (secret: string) => base32.decode(secret);

/** The code for `secret` at `now` (what the app shows), for tests and nothing else. */
export const totpCodeAt = (secret: string, now: Date) => generateHOTP(keyOf(secret), stepAt(now), DIGITS);

/**
 * The time step a 6-digit code is right for: the current one, or one step either side (a phone's
 * clock a little off, a code typed as it changed). Null when it is right for none.
 */
async function stepOf(secret: string, code: string, now: Date): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const current = stepAt(now);
  for (const step of [current, current - 1, current + 1]) {
    if ((await generateHOTP(keyOf(secret), step, DIGITS)) === code) return step;
  }
  return null;
}

/**
 * Accepts a code once: the step it was right for must be later than the last one accepted, and is
 * recorded in the same statement, so a code seen over a shoulder, or sent twice at once, is taken
 * once. A recovery code (`xxxxx-xxxxx`) is used up instead.
 */
export async function acceptSecondFactor(db: Db, userId: string, storedSecret: string, code: string, now: Date): Promise<boolean> {
  const typed = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(typed)) return useRecoveryCode(db, userId, typed, now);
  const step = await stepOf(openSecret(storedSecret, userId).plain, typed, now);
  if (step === null) return false;
  const taken = await db.updateTable("users").set({ totp_last_step: step }).where("id", "=", userId).where("totp_last_step", "<", step).executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}

export interface TwoFactorStatus {
  enabled: boolean;
  /** While being set up: what the person scans or types into their app. */
  setup: { secret: string; uri: string; qrSvg: string } | null;
  recoveryCodesLeft: number;
}

export async function twoFactorStatus(db: Db, userId: string): Promise<TwoFactorStatus> {
  const user = await db.selectFrom("users").select(["email", "totp_secret", "totp_pending_secret"]).where("id", "=", userId).executeTakeFirstOrThrow();
  const left = await db.selectFrom("recovery_codes").select((eb) => eb.fn.countAll<string>().as("n")).where("user_id", "=", userId).where("used_at", "is", null).executeTakeFirstOrThrow();
  let setup: TwoFactorStatus["setup"] = null;
  if (!user.totp_secret && user.totp_pending_secret) {
    const secret = openSecret(user.totp_pending_secret, userId).plain;
    const uri = createTOTPKeyURI(ISSUER, user.email, keyOf(secret));
    setup = { secret, uri, qrSvg: await qrSvg(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 }) };
  }
  return { enabled: user.totp_secret !== null, setup, recoveryCodesLeft: Number(left.n) };
}

/** A new secret to set up (replacing one not confirmed yet); refused while two-factor sign-in is on. */
export async function startTwoFactorSetup(db: Db, userId: string): Promise<void> {
  const secret = sealSecret(base32.encode(randomBytes(20), { includePadding: false }), userId);
  const updated = await db.updateTable("users").set({ totp_pending_secret: secret }).where("id", "=", userId).where("totp_secret", "is", null).executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) throw new Conflict("Two-factor sign-in is already on.");
}

/**
 * A first code from the app proves it holds the secret: then two-factor sign-in is on, and the ten
 * recovery codes are made and returned, the only time they are seen.
 */
export async function confirmTwoFactor(db: Db, userId: string, code: string, now: Date): Promise<{ recoveryCodes: string[] }> {
  const user = await db.selectFrom("users").select(["totp_secret", "totp_pending_secret"]).where("id", "=", userId).executeTakeFirstOrThrow();
  if (user.totp_secret) throw new Conflict("Two-factor sign-in is already on.");
  if (!user.totp_pending_secret) throw new NotFound("Start setting up two-factor sign-in first.");
  const step = await stepOf(openSecret(user.totp_pending_secret, userId).plain, code.replace(/\s+/g, ""), now);
  if (step === null) throw new Invalid("That code is not right. Enter the 6-digit code your app shows now.", "code");
  return db.transaction().execute(async (trx) => {
    const on = await trx
      .updateTable("users")
      .set({ totp_secret: user.totp_pending_secret, totp_pending_secret: null, totp_last_step: step })
      .where("id", "=", userId)
      .where("totp_pending_secret", "=", user.totp_pending_secret)
      .where("totp_secret", "is", null)
      .executeTakeFirst();
    if (Number(on.numUpdatedRows) === 0) throw new Conflict("Two-factor sign-in changed meanwhile. Reload the page.");
    return { recoveryCodes: await newRecoveryCodes(trx, userId) };
  });
}

/** Turning it off needs the password and a code (or a recovery code): a session alone is not enough. */
export async function disableTwoFactor(db: Db, userId: string, input: { password: string; code: string }, now: Date): Promise<void> {
  const user = await db.selectFrom("users").select(["password_hash", "totp_secret"]).where("id", "=", userId).executeTakeFirstOrThrow();
  if (!user.totp_secret) throw new Conflict("Two-factor sign-in is already off.");
  if (!(await verifyPassword(user.password_hash, input.password, forUser(userId)))) throw new Invalid("The password is not right", "password");
  if (!(await acceptSecondFactor(db, userId, user.totp_secret, input.code, now))) throw new Invalid(WRONG_CODE, "code");
  await db.transaction().execute(async (trx) => {
    await trx.updateTable("users").set({ totp_secret: null, totp_pending_secret: null }).where("id", "=", userId).execute();
    await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
  });
}
