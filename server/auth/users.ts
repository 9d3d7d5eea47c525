import type { Db } from "../../db/client.js";
import { limitKey } from "../net/client-address.js";
import { Conflict, isUniqueViolation, TooManyRequests, Unauthorized } from "../errors.js";
import { type Budget, takeHit } from "../rate-limit.js";
import { hashPassword, verifyAgainstNothing, verifyPassword } from "./password.js";
import { createSession, type SessionUser } from "./sessions.js";

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
export async function login(db: Db, input: { email: string; password: string }, client: string, userAgent = "") {
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
  const session = await createSession(db, user.id, new Date(), userAgent);
  return { user: { id: user.id, email: user.email } satisfies SessionUser, ...session };
}

const tooMany = (scope: string) => `Too many failed logins ${scope}.`;

function findUser(db: Db, email: string) {
  return db
    .selectFrom("users")
    .select(["id", "email", "password_hash"])
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email.toLowerCase()))
    .executeTakeFirst();
}

/** For the seed and tests: creates the account if it is missing, without a session. */
export async function ensureUser(db: Db, email: string, password: string): Promise<SessionUser> {
  const existing = await findUser(db, email);
  if (existing) return { id: existing.id, email: existing.email };
  return db
    .insertInto("users")
    .values({ email, password_hash: await hashPassword(password, "system") })
    .returning(["id", "email"])
    .executeTakeFirstOrThrow();
}
