import type { Db } from "../../db/client.js";
import { env } from "../env.js";
import { configuredMailer } from "../mail/mailer.js";
import { limitKey } from "../net/client-address.js";
import { Conflict, isUniqueViolation, TooManyRequests, Unauthorized } from "../errors.js";
import { type Budget, takeHit } from "../rate-limit.js";
import { hashPassword, verifyAgainstNothing, verifyPassword } from "./password.js";
import { PENDING_MINUTES, readPendingLogin, signPendingLogin } from "./pending-login.js";
import { createSession, type SessionUser } from "./sessions.js";
import { acceptSecondFactor, WRONG_CODE } from "./totp.js";
import { composeWrongCodeNotice } from "./wrong-code-email.js";

const WINDOW = 15;
/** Wrong passwords for one account from one network: the limit a person at the keyboard meets. */
const LOGIN_LIMIT_PER_CLIENT = 10;
/** From one network across all accounts (one address trying many accounts). */
const LOGIN_LIMIT_PER_NETWORK = 50;
/**
 * For one account from everywhere: far above one network's share, so only many addresses guessing
 * together reach it, and one address's failures never lock the owner out.
 */
const LOGIN_LIMIT_PER_ACCOUNT = 200;
/**
 * Wrong two-factor codes for one account from everywhere. Whoever gets this far has the password,
 * and a code is 1 in a million (three time steps are taken, so 3 in a million a guess): 200 a
 * quarter-hour would be a one-in-two chance within two weeks from twenty addresses. At 20 it is
 * about 0.6% a day, the owner is mailed at the first wrong code (once an hour), and a new password
 * ends the guessing and this count at once (`clearCodeAttempts`).
 */
const CODE_LIMIT_PER_ACCOUNT = 20;
/**
 * Wrong recovery codes for one account from everywhere, counted apart: ten codes of about 50 bits
 * each are out of reach at login's own ceiling, and someone who has the password and burns the
 * account's twenty six-digit guesses does not keep its owner from signing in with a recovery code.
 */
const RECOVERY_LIMIT_PER_ACCOUNT = LOGIN_LIMIT_PER_ACCOUNT;
/** One notice an hour per account about wrong codes after a right password. */
const WRONG_CODE_NOTICE = { max: 1, windowMinutes: 60 };
const SIGNUP_LIMIT_PER_NETWORK = { max: 20, windowMinutes: 60 };

export async function signup(db: Db, input: { email: string; password: string }, client: string, userAgent = "") {
  // Counted first, whatever the outcome: every sign-up costs a hash or a lookup.
  await takeHit(db, [
    { key: limitKey("signup:client", client), ...SIGNUP_LIMIT_PER_NETWORK, message: "Too many sign-ups from this network. Please try again later." },
  ]);
  // An existing address is refused before any hashing; the form says so anyway.
  const existing = await findUser(db, input.email);
  if (existing) throw alreadyExists();
  const passwordHash = await hashPassword(input.password, client);
  try {
    const user = await db
      .insertInto("users")
      .values({ email: input.email, password_hash: passwordHash })
      .returning(["id", "email"])
      .executeTakeFirstOrThrow();
    const session = await createSession(db, user.id, new Date(), userAgent);
    return { user, ...session };
  } catch (error) {
    if (isUniqueViolation(error, "users_email_key")) throw alreadyExists();
    throw error;
  }
}

const alreadyExists = () => new Conflict("An account with this email already exists. Log in instead.", "email");

/**
 * One message for every failure, so the form never tells which half was wrong. The attempt is
 * counted before the password is checked, so concurrent guesses cannot outrun the limits; a
 * correct password, or a server too busy to check one, gives its attempt back.
 */
export async function login(db: Db, input: { email: string; password: string }, client: string, userAgent = "", now = new Date()): Promise<LoginResult> {
  const email = input.email.toLowerCase();
  const budgets: Budget[] = [
    { key: limitKey("login:account+client", email, client), max: LOGIN_LIMIT_PER_CLIENT, windowMinutes: WINDOW, message: tooMany("for this account from your network") },
    { key: limitKey("login:client", client), max: LOGIN_LIMIT_PER_NETWORK, windowMinutes: WINDOW, message: tooMany("from your network") },
    { key: limitKey("login:account", email), max: LOGIN_LIMIT_PER_ACCOUNT, windowMinutes: WINDOW, message: tooMany("for this account") },
  ];
  const release = await takeHit(db, budgets);
  let user: Awaited<ReturnType<typeof findUser>>;
  let ok: boolean;
  try {
    user = await findUser(db, email);
    ok = user ? await verifyPassword(user.password_hash, input.password, client) : await verifyAgainstNothing(input.password, client);
  } catch (error) {
    if (error instanceof TooManyRequests) await release();
    throw error;
  }
  if (!user || !ok) throw new Unauthorized("Invalid email or password");
  await release();
  if (user.totp_secret) {
    // The password alone opens nothing: a signed note that the code step completes, and no hint.
    const pending = signPendingLogin({ userId: user.id, passwordChangedAt: user.password_changed_at.getTime(), expiresAt: now.getTime() + PENDING_MINUTES * 60_000 });
    return { twoFactor: true, pending };
  }
  const session = await createSession(db, user.id, new Date(), userAgent, user.password_changed_at);
  return { twoFactor: false, user: { id: user.id, email: user.email } satisfies SessionUser, ...session };
}

export type LoginResult = { twoFactor: true; pending: string } | { twoFactor: false; user: SessionUser; token: string; expiresAt: Date };

const PENDING_GONE = "Your sign-in took too long or is no longer valid. Log in again.";

/**
 * The second step of a sign-in with two-factor on: the note from the password step and a code.
 * Wrong codes are counted like wrong passwords (per account and network, per network, per
 * account), before the code is checked; a right one gives its attempt back.
 */
export async function loginWithCode(db: Db, input: { pending: string; code: string }, client: string, userAgent: string, now: Date) {
  const pending = readPendingLogin(input.pending, now);
  if (!pending) throw new Unauthorized(PENDING_GONE);
  const budgets: Budget[] = [
    { key: limitKey("code:account+client", pending.userId, client), max: LOGIN_LIMIT_PER_CLIENT, windowMinutes: WINDOW, message: tooManyCodes("for this account from your network") },
    { key: limitKey("code:client", client), max: LOGIN_LIMIT_PER_NETWORK, windowMinutes: WINDOW, message: tooManyCodes("from your network") },
    isAppCode(input.code)
      ? { key: codeAttemptsKey(pending.userId), max: CODE_LIMIT_PER_ACCOUNT, windowMinutes: WINDOW, message: TOO_MANY_CODES_FOR_ACCOUNT }
      : { key: recoveryAttemptsKey(pending.userId), max: RECOVERY_LIMIT_PER_ACCOUNT, windowMinutes: WINDOW, message: tooManyCodes("for this account") },
  ];
  const release = await takeHit(db, budgets, now);
  const user = await db.selectFrom("users").select(["id", "email", "totp_secret", "password_changed_at", "email_confirmed_at"]).where("id", "=", pending.userId).executeTakeFirst();
  if (!user || !user.totp_secret || user.password_changed_at.getTime() !== pending.passwordChangedAt) {
    await release();
    throw new Unauthorized(PENDING_GONE);
  }
  if (!(await acceptSecondFactor(db, user.id, user.totp_secret, input.code, now))) {
    if (user.email_confirmed_at) await noticeWrongCode(db, user, now);
    throw new Unauthorized(WRONG_CODE);
  }
  await release();
  const session = await createSession(db, user.id, new Date(), userAgent, user.password_changed_at);
  return { user: { id: user.id, email: user.email } satisfies SessionUser, ...session };
}

const tooManyCodes = (scope: string) => `Too many wrong codes ${scope}.`;

export const TOO_MANY_CODES_FOR_ACCOUNT =
  "Too many wrong codes for this account. A recovery code still works. If the wrong codes were not all yours, someone knows your password: choose a new one (Forgot your password?), which ends this at once.";

/** Six digits (spaces aside) is a code from the app; anything else is taken as a recovery code (see acceptSecondFactor). */
const isAppCode = (code: string) => /^\d{6}$/.test(code.replace(/\s+/g, ""));

const codeAttemptsKey = (userId: string) => limitKey("code:account", userId);
const recoveryAttemptsKey = (userId: string) => limitKey("recovery:account", userId);

/** A new password ends the guessing (pending sign-ins die with the old one), so the owner is not kept out by its count. */
export async function clearCodeAttempts(trx: Db, userId: string): Promise<void> {
  await trx.deleteFrom("rate_limit_hits").where("key", "in", [codeAttemptsKey(userId), recoveryAttemptsKey(userId)]).execute();
}

/**
 * Mails the owner (once an hour at most) that someone gave the right password and a wrong code.
 * Sent after the answer, like a reset mail; only to a confirmed address (sign-up takes any, and
 * no mail goes to a stranger in an account's name); without mail there is no one to tell.
 */
async function noticeWrongCode(db: Db, user: { id: string; email: string }, now: Date): Promise<void> {
  const config = env();
  const mailer = configuredMailer(config.mail);
  if (!mailer) return;
  try {
    await takeHit(db, [{ key: limitKey("code-notice:account", user.id), ...WRONG_CODE_NOTICE, message: "" }], now);
  } catch (error) {
    if (error instanceof TooManyRequests) return;
    throw error;
  }
  const host = new URL(config.publicUrl).host;
  const message = composeWrongCodeNotice({ to: user.email, forgotUrl: `${config.publicUrl}/forgot-password`, host, sentAt: now, id: user.id.slice(0, 8) });
  void mailer.send(message).catch(() => {});
}

const tooMany = (scope: string) => `Too many failed logins ${scope}.`;

function findUser(db: Db, email: string) {
  return db
    .selectFrom("users")
    .select(["id", "email", "password_hash", "totp_secret", "password_changed_at"])
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email.toLowerCase()))
    .executeTakeFirst();
}

/** For the seed and tests: creates the account if it is missing, without a session. */
export async function ensureUser(db: Db, email: string, password: string): Promise<SessionUser> {
  const existing = await findUser(db, email);
  if (existing) return { id: existing.id, email: existing.email };
  return db
    .insertInto("users")
    // Made by the operator (the seed, commands), not by an open sign-up: the address is vouched for.
    .values({ email, password_hash: await hashPassword(password, "system"), email_confirmed_at: new Date() })
    .returning(["id", "email"])
    .executeTakeFirstOrThrow();
}
