import type { Db } from "../../db/client.js";
import { Conflict, isUniqueViolation, Unauthorized } from "../errors.js";
import { assertUnderLimit, recordHits } from "../rate-limit.js";
import { hashPassword, verifyAgainstNothing, verifyPassword } from "./password.js";
import { createSession, type SessionUser } from "./sessions.js";

const LOGIN_LIMIT_PER_EMAIL = { max: 10, windowMinutes: 15 };
const LOGIN_LIMIT_PER_IP = { max: 50, windowMinutes: 15 };
const SIGNUP_LIMIT_PER_IP = { max: 20, windowMinutes: 60 };

export async function signup(db: Db, input: { email: string; password: string }, ip: string) {
  await assertUnderLimit(db, [`signup:ip:${ip}`], SIGNUP_LIMIT_PER_IP, "Too many sign-ups from this network. Please try again later.");
  const passwordHash = await hashPassword(input.password);
  try {
    const user = await db
      .insertInto("users")
      .values({ email: input.email, password_hash: passwordHash })
      .returning(["id", "email"])
      .executeTakeFirstOrThrow();
    await recordHits(db, [`signup:ip:${ip}`]);
    const session = await createSession(db, user.id);
    return { user, ...session };
  } catch (error) {
    if (isUniqueViolation(error, "users_email_key")) {
      throw new Conflict("An account with this email already exists. Log in instead.", "email");
    }
    throw error;
  }
}

/** One message for every failure, so the form never tells which half was wrong. */
export async function login(db: Db, input: { email: string; password: string }, ip: string) {
  const email = input.email.toLowerCase();
  const keys = [`login:email:${email}`, `login:ip:${ip}`];
  await assertUnderLimit(db, keys.slice(0, 1), LOGIN_LIMIT_PER_EMAIL, "Too many failed logins for this account. Please try again later.");
  await assertUnderLimit(db, keys.slice(1), LOGIN_LIMIT_PER_IP, "Too many failed logins from this network. Please try again later.");
  const user = await db
    .selectFrom("users")
    .select(["id", "email", "password_hash"])
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email))
    .executeTakeFirst();
  const ok = user ? await verifyPassword(user.password_hash, input.password) : await verifyAgainstNothing(input.password);
  if (!user || !ok) {
    await recordHits(db, keys);
    throw new Unauthorized("Invalid email or password");
  }
  const session = await createSession(db, user.id);
  return { user: { id: user.id, email: user.email } satisfies SessionUser, ...session };
}

/** For the seed and tests: creates the account if it is missing, without a session. */
export async function ensureUser(db: Db, email: string, password: string): Promise<SessionUser> {
  const existing = await db.selectFrom("users").select(["id", "email"]).where((eb) => eb(eb.fn("lower", ["email"]), "=", email.toLowerCase())).executeTakeFirst();
  if (existing) return existing;
  return db
    .insertInto("users")
    .values({ email, password_hash: await hashPassword(password) })
    .returning(["id", "email"])
    .executeTakeFirstOrThrow();
}

