import { createHmac, timingSafeEqual } from "node:crypto";
import { env } from "../env.js";

/** Minutes between a right password and the code that completes the sign-in. */
export const PENDING_MINUTES = 10;

export interface PendingLogin {
  userId: string;
  /** The password's change time: a pending sign-in dies with the password it was made with. */
  passwordChangedAt: number;
  expiresAt: number;
}

const sign = (body: string, secret: string) => createHmac("sha256", secret).update(`pending-login\n${body}`).digest("base64url");

/**
 * A right password on an account with two-factor sign-in gives only this: a signed note that says
 * who typed it and until when, kept in a cookie. It opens nothing by itself; the code step
 * checks it, then the account, then the code.
 */
export function signPendingLogin(pending: PendingLogin): string {
  const body = Buffer.from(JSON.stringify([pending.userId, pending.passwordChangedAt, pending.expiresAt])).toString("base64url");
  return `${body}.${sign(body, env().sessionSecrets[0]!)}`;
}

/** The note if its signature is ours (any current secret) and it has not run out; null otherwise. */
export function readPendingLogin(value: string, now: Date): PendingLogin | null {
  const [body, mac, extra] = value.split(".");
  if (!body || !mac || extra !== undefined) return null;
  const given = Buffer.from(mac, "base64url");
  const ours = env().sessionSecrets.some((secret) => {
    const expected = Buffer.from(sign(body, secret), "base64url");
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!ours) return null;
  try {
    const [userId, passwordChangedAt, expiresAt] = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as [string, number, number];
    if (typeof userId !== "string" || typeof passwordChangedAt !== "number" || typeof expiresAt !== "number") return null;
    if (expiresAt <= now.getTime()) return null;
    return { userId, passwordChangedAt, expiresAt };
  } catch {
    return null;
  }
}
