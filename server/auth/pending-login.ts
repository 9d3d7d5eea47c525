import { readNote, signNote } from "../signed-note.js";

/** Minutes between a right password and the code that completes the sign-in. */
export const PENDING_MINUTES = 10;

export interface PendingLogin {
  userId: string;
  /** The password's change time: a pending sign-in dies with the password it was made with. */
  passwordChangedAt: number;
  expiresAt: number;
}

/**
 * A right password on an account with two-factor sign-in gives only this: a signed note that says
 * who typed it and until when, kept in a cookie. It opens nothing by itself; the code step
 * checks it, then the account, then the code.
 */
export function signPendingLogin(pending: PendingLogin): string {
  return signNote("pending-login", [pending.userId, pending.passwordChangedAt, pending.expiresAt]);
}

/** The note if its signature is ours (any current secret) and it has not run out; null otherwise. */
export function readPendingLogin(value: string, now: Date): PendingLogin | null {
  const note = readNote("pending-login", value);
  if (!Array.isArray(note)) return null;
  const [userId, passwordChangedAt, expiresAt] = note as unknown[];
  if (typeof userId !== "string" || typeof passwordChangedAt !== "number" || typeof expiresAt !== "number") return null;
  if (expiresAt <= now.getTime()) return null;
  return { userId, passwordChangedAt, expiresAt };
}
