import { createHmac, timingSafeEqual } from "node:crypto";
import { env } from "./env.js";

/**
 * A JSON value anyone may read but no one can alter: `base64url(JSON).HMAC-SHA256`, signed with
 * the first SESSION_SECRET and verified with any of them (rotation, as for cookies). The purpose
 * is signed too, so a note made for one thing (a pending sign-in) never passes for another (an
 * embed token).
 */
export function signNote(purpose: string, value: unknown): string {
  const body = Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${body}.${mac(purpose, body, env().sessionSecrets[0]!)}`;
}

/** The value of a note we signed for `purpose`, or null for anything else (altered, forged, not JSON). */
export function readNote(purpose: string, note: string): unknown {
  const [body, given, extra] = note.split(".");
  if (!body || !given || extra !== undefined) return null;
  // Compared as the text we write, so no other spelling of the same bytes passes.
  const givenBytes = Buffer.from(given);
  const genuine = env().sessionSecrets.some((secret) => {
    const expected = Buffer.from(mac(purpose, body, secret));
    return expected.length === givenBytes.length && timingSafeEqual(expected, givenBytes);
  });
  if (!genuine) return null;
  try {
    return JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as unknown;
  } catch {
    return null;
  }
}

const mac = (purpose: string, body: string, secret: string) => createHmac("sha256", secret).update(`${purpose}\n${body}`).digest("base64url");
