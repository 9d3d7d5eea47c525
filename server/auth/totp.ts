import { randomBytes } from "node:crypto";
import { base32 } from "oslo/encoding";
import { createTOTPKeyURI, generateHOTP } from "oslo/otp";
import { toString as qrSvg } from "qrcode";
import type { Db } from "../../db/client.js";
import { Conflict, Invalid, NotFound } from "../errors.js";
import { withCurrentPassword } from "./current-password.js";
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
 * A first code from the app proves it holds the secret, and the password proves the person is the
 * account's owner, not someone at an unattended browser (who could otherwise lock the owner out
 * with a secret of their own): then two-factor sign-in is on, and the ten recovery codes are made
 * and returned, the only time they are seen. Wrong passwords and codes count against the account's budget.
 */
export async function confirmTwoFactor(db: Db, userId: string, input: { password: string; code: string }, now: Date): Promise<{ recoveryCodes: string[] }> {
  const user = await db.selectFrom("users").select(["totp_secret", "totp_pending_secret"]).where("id", "=", userId).executeTakeFirstOrThrow();
  if (user.totp_secret) throw new Conflict("Two-factor sign-in is already on.");
  if (!user.totp_pending_secret) throw new NotFound("Start setting up two-factor sign-in first.");
  const pendingSecret = openSecret(user.totp_pending_secret, userId).plain;
  let step: number | null = null;
  // A wrong code counts like a wrong password: both are the account's budget.
  await withCurrentPassword(db, userId, now, async (passwordIs) => {
    if (!(await passwordIs(input.password))) return new Invalid("The password is not right", "password");
    step = await stepOf(pendingSecret, input.code.replace(/\s+/g, ""), now);
    return step === null ? new Invalid("That code is not right. Enter the 6-digit code your app shows now.", "code") : null;
  });
  const acceptedStep = step!;
  return db.transaction().execute(async (trx) => {
    const on = await trx
      .updateTable("users")
      .set({ totp_secret: user.totp_pending_secret, totp_pending_secret: null, totp_last_step: acceptedStep })
      .where("id", "=", userId)
      .where("totp_pending_secret", "=", user.totp_pending_secret)
      .where("totp_secret", "is", null)
      .executeTakeFirst();
    if (Number(on.numUpdatedRows) === 0) throw new Conflict("Two-factor sign-in changed meanwhile. Reload the page.");
    return { recoveryCodes: await newRecoveryCodes(trx, userId) };
  });
}

export const WRONG_PASSWORD_OR_CODE = "The password or the code is not right.";

/**
 * Turning it off needs the password and a code (or a recovery code): a session alone is not
 * enough. Each attempt counts against the account's budget, and a wrong one does not say which of
 * the two was wrong (the code is not even checked, nor used up, when the password is wrong).
 */
export async function disableTwoFactor(db: Db, userId: string, input: { password: string; code: string }, now: Date): Promise<void> {
  const user = await db.selectFrom("users").select(["totp_secret"]).where("id", "=", userId).executeTakeFirstOrThrow();
  if (!user.totp_secret) throw new Conflict("Two-factor sign-in is already off.");
  const secret = user.totp_secret;
  await withCurrentPassword(db, userId, now, async (passwordIs) =>
    (await passwordIs(input.password)) && (await acceptSecondFactor(db, userId, secret, input.code, now)) ? null : new Invalid(WRONG_PASSWORD_OR_CODE),
  );
  await db.transaction().execute(async (trx) => {
    await trx.updateTable("users").set({ totp_secret: null, totp_pending_secret: null }).where("id", "=", userId).execute();
    await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
  });
}

/**
 * The operator's way back in for someone who lost both their phone and their recovery codes (or
 * whose session was used to turn it on behind their back), after checking who they are by other
 * means: two-factor sign-in off, recovery codes gone, every session of the account ended.
 * Null when no account has the address.
 */
export async function operatorTurnOffTwoFactor(db: Db, email: string): Promise<{ wasOn: boolean } | null> {
  return db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom("users")
      .select(["id", "totp_secret"])
      .where((eb) => eb(eb.fn("lower", ["email"]), "=", email.trim().toLowerCase()))
      .forUpdate()
      .executeTakeFirst();
    if (!user) return null;
    await trx.updateTable("users").set({ totp_secret: null, totp_pending_secret: null }).where("id", "=", user.id).execute();
    await trx.deleteFrom("recovery_codes").where("user_id", "=", user.id).execute();
    await trx.deleteFrom("sessions").where("user_id", "=", user.id).execute();
    return { wasOn: user.totp_secret !== null };
  });
}
