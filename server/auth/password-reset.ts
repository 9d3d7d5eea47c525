import type { Db } from "../../db/client.js";
import { configuredMailer } from "../mail/mailer.js";
import { env } from "../env.js";
import { Invalid } from "../errors.js";
import { limitKey } from "../net/client-address.js";
import { takeHit } from "../rate-limit.js";
import { hashPassword } from "./password.js";
import { clearCodeAttempts } from "./users.js";
import { composeResetEmail } from "./reset-email.js";
import { generateToken, sha256Hex } from "./tokens.js";

export const RESET_MINUTES = 60;
const MINUTE = 60_000;

/** Requests from one network: a person retrying is far below it, a script mailing strangers is not. */
const REQUESTS_PER_NETWORK = { max: 10, windowMinutes: 60 };
/** Mails to one address, wherever asked from: nobody's inbox is filled with our mails. */
const REQUESTS_PER_ADDRESS = { max: 3, windowMinutes: 60 };
/** New passwords set from one network (each costs a hash). */
const RESETS_PER_NETWORK = { max: 20, windowMinutes: 60 };

export const RESET_LINK_DEAD = "This reset link has expired or was already used. Ask for a new one.";

export const resetUrl = (token: string) => `${env().publicUrl}/reset-password/${token}`;

/** A new one-hour reset token for the account (its SHA-256 only is stored); the token itself. */
export async function createPasswordReset(db: Db, userId: string, now: Date): Promise<string> {
  const token = generateToken();
  await db
    .insertInto("password_resets")
    .values({ token_hash: sha256Hex(token), user_id: userId, expires_at: new Date(now.getTime() + RESET_MINUTES * MINUTE), created_at: now })
    .execute();
  return token;
}

/**
 * Mails a reset link when the address has an account; answers the same either way. The mail goes
 * out after the answer, so how long the answer takes does not tell either. Without mail, nothing
 * is made: the page tells the person to ask an admin. Limits are counted first, whatever the outcome.
 */
export async function requestPasswordReset(db: Db, input: { email: string }, client: string, now: Date): Promise<{ mailEnabled: boolean }> {
  const email = input.email.trim().toLowerCase();
  await takeHit(
    db,
    [
      { key: limitKey("reset:client", client), ...REQUESTS_PER_NETWORK, message: "Too many password reset requests from your network." },
      { key: limitKey("reset:address", email), ...REQUESTS_PER_ADDRESS, message: "Too many password reset requests for this address." },
    ],
    now,
  );
  const config = env();
  const mail = configuredMailer(config.mail);
  if (!mail) return { mailEnabled: false };
  const user = await db
    .selectFrom("users")
    .select(["id", "email"])
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email))
    .executeTakeFirst();
  if (user) {
    const token = await createPasswordReset(db, user.id, now);
    const host = new URL(config.publicUrl).host;
    const message = composeResetEmail({ to: user.email, resetUrl: resetUrl(token), minutes: RESET_MINUTES, host, sentAt: now, id: sha256Hex(token).slice(0, 16) });
    // Not awaited: the answer must not wait for the mail server only when the account exists.
    // A mail that fails is like one that is lost: the person asks again.
    void mail.send(message).catch(() => {});
  }
  return { mailEnabled: true };
}

/** The account a live reset link is for, or null for one that is unknown, expired or used. */
export async function resetTarget(db: Db, token: string, now: Date): Promise<{ email: string } | null> {
  const row = await db
    .selectFrom("password_resets")
    .innerJoin("users", "users.id", "password_resets.user_id")
    .select(["users.email"])
    .where("password_resets.token_hash", "=", sha256Hex(token))
    .where("password_resets.expires_at", ">", now)
    .executeTakeFirst();
  return row ?? null;
}

/**
 * Sets the new password from a live link: the link is claimed (deleted) in the same transaction
 * that changes the password, so two submissions of one link change it once. Every session and
 * every other reset link of the account ends with it.
 */
export async function resetPassword(db: Db, input: { token: string; password: string }, client: string, now: Date): Promise<{ email: string; unprovenCleared: boolean }> {
  await takeHit(db, [{ key: limitKey("reset-set:client", client), ...RESETS_PER_NETWORK, message: "Too many new passwords from your network." }], now);
  if (!(await resetTarget(db, input.token, now))) throw new Invalid(RESET_LINK_DEAD);
  const hash = await hashPassword(input.password, client);
  const changed = await db.transaction().execute(async (trx) => {
    const claimed = await trx
      .deleteFrom("password_resets")
      .where("token_hash", "=", sha256Hex(input.token))
      .where("expires_at", ">", now)
      .returning("user_id")
      .executeTakeFirst();
    if (!claimed) return null;
    // The link came by mail to the account's address (or from the operator): that address is theirs.
    const proven = await trx.updateTable("users").set({ email_confirmed_at: now }).where("id", "=", claimed.user_id).where("email_confirmed_at", "is", null).executeTakeFirst();
    // Sessions end first: a key being added by one of them waits for this and is then revoked too.
    const changed = await setPassword(trx, claimed.user_id, hash, now);
    // With mail off too: sign-up is open there as well, and the operator's link is then the proof.
    const unprovenCleared = Number(proven.numUpdatedRows) > 0 && (await dropUnprovenCredentials(trx, claimed.user_id, now));
    return { ...changed, unprovenCleared };
  });
  if (!changed) throw new Invalid(RESET_LINK_DEAD);
  return changed;
}

/**
 * Sign-up takes any address, so until a link proves it, whoever signed up may not be its owner.
 * With mail on, an unproven account gets no API keys and no two-factor sign-in
 * (`requireProvenAddress`); accounts that had them before (made before that rule, or while mail
 * was off, where nothing is refused) lose them when the owner takes the account back through a
 * reset link (mailed, or printed by the operator), the first proof of the address: the keys are
 * revoked and two-factor sign-in is turned off with its recovery codes, and the owner sets up
 * their own. True when there was something to drop.
 */
async function dropUnprovenCredentials(trx: Db, userId: string, now: Date): Promise<boolean> {
  const keys = await trx.updateTable("api_keys").set({ revoked_at: now }).where("user_id", "=", userId).where("revoked_at", "is", null).executeTakeFirst();
  const twoFactor = await trx
    .updateTable("users")
    .set({ totp_secret: null, totp_pending_secret: null })
    .where("id", "=", userId)
    .where((eb) => eb.or([eb("totp_secret", "is not", null), eb("totp_pending_secret", "is not", null)]))
    .executeTakeFirst();
  await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
  return Number(keys.numUpdatedRows) > 0 || Number(twoFactor.numUpdatedRows) > 0;
}

/**
 * Stores a new password hash and kills what the old password opened: reset links, pending
 * sign-ins (and the count of wrong codes given after them), and sessions (all of them, or all but the asking one's SHA-256 in `keepSession`;
 * none with `keepOthers`, when the person changing it chose so).
 */
export async function setPassword(trx: Db, userId: string, passwordHash: string, now: Date, sessions: { keepSession?: string; keepOthers?: boolean } = {}): Promise<{ email: string }> {
  const user = await trx
    .updateTable("users")
    .set({ password_hash: passwordHash, password_changed_at: now })
    .where("id", "=", userId)
    .returning("email")
    .executeTakeFirstOrThrow();
  await trx.deleteFrom("password_resets").where("user_id", "=", userId).execute();
  await clearCodeAttempts(trx, userId);
  if (!sessions.keepOthers) {
    let ending = trx.deleteFrom("sessions").where("user_id", "=", userId);
    if (sessions.keepSession) ending = ending.where("id", "!=", sessions.keepSession);
    await ending.execute();
  }
  return user;
}

/** For the operator's command line: a one-hour reset link for the account, or null when there is none. */
export async function operatorResetLink(db: Db, email: string, now: Date): Promise<string | null> {
  const user = await db
    .selectFrom("users")
    .select("id")
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email.trim().toLowerCase()))
    .executeTakeFirst();
  return user ? resetUrl(await createPasswordReset(db, user.id, now)) : null;
}
