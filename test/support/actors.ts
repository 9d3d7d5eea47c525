import type { Db } from "../../db/client.js";
import type { Role } from "../../db/schema.js";
import { createSession } from "../../server/auth/sessions.js";
import { ensureUser } from "../../server/auth/users.js";
import { createCaller } from "../../server/root.js";
import { addMember, createSite } from "../../server/sites/sites.js";
import { testContext } from "./services.js";

let counter = 0;

/**
 * A signed-in user and a caller acting as them, the way a loader would call the router. Each use
 * of `caller` is a new context, like each HTTP request, since contexts memoise per-request lookups.
 */
export async function signedIn(db: Db, label = "user") {
  counter += 1;
  const email = `${label}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const user = await ensureUser(db, email, "correct horse battery staple");
  const { token } = await createSession(db, user.id);
  const ip = `10.0.0.${counter % 250}`;
  return {
    user,
    token,
    get caller() {
      return createCaller(testContext({ db, sessionToken: token, ip }));
    },
  };
}

export function anonymous(db: Db, ip = "10.1.1.1") {
  return createCaller(testContext({ db, ip }));
}

export async function siteOwnedBy(db: Db, userId: string, domain = `site-${++counter}.example`) {
  const { site } = await createSite(db, userId, { domain, timezone: "UTC" });
  return site;
}

export async function member(db: Db, siteId: string, role: Role, label = role) {
  const actor = await signedIn(db, label);
  await addMember(db, siteId, actor.user.id, role);
  return actor;
}

export async function expectCode(promise: Promise<unknown>, code: string) {
  try {
    await promise;
  } catch (error) {
    const actual = (error as { code?: string }).code;
    if (actual !== code) throw new Error(`expected ${code}, got ${actual}: ${(error as Error).message}`, { cause: error });
    return error as Error & { code: string; shape?: unknown };
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

/** A login's session, for accounts without two-factor sign-in (fails the test otherwise). */
export async function sessionOf<T extends { twoFactor: boolean }>(login: Promise<T>): Promise<Extract<T, { twoFactor: false }>> {
  const result = await login;
  if (result.twoFactor) throw new Error("expected a session, got a request for a code");
  return result as Extract<T, { twoFactor: false }>;
}
