import { createCookie } from "@remix-run/node";
import { SESSION_DAYS } from "../../server/auth/sessions.js";
import { env } from "../../server/env.js";

const config = env();

/** Holds the random session token; the database knows only its SHA-256. */
export const sessionCookie = createCookie("glimpse_session", {
  httpOnly: true,
  sameSite: "lax",
  secure: config.production,
  path: "/",
  maxAge: SESSION_DAYS * 24 * 60 * 60,
  secrets: config.sessionSecrets,
});

/** One-shot message shown after a redirect ("Shared link “Client A” created"). */
export const flashCookie = createCookie("glimpse_flash", {
  httpOnly: true,
  sameSite: "lax",
  secure: config.production,
  path: "/",
  maxAge: 60,
  secrets: config.sessionSecrets,
});

export async function readSessionToken(request: Request): Promise<string | null> {
  const value = await sessionCookie.parse(request.headers.get("Cookie"));
  return typeof value === "string" && value.length > 0 && value.length < 200 ? value : null;
}

export function setFlash(message: string): Promise<string> {
  return flashCookie.serialize(message);
}

/** Returns the message and the Set-Cookie that clears it. */
export async function takeFlash(request: Request): Promise<{ flash: string | null; headers: HeadersInit }> {
  const value = await flashCookie.parse(request.headers.get("Cookie"));
  if (typeof value !== "string") return { flash: null, headers: {} };
  return { flash: value, headers: { "Set-Cookie": await flashCookie.serialize("", { maxAge: 0 }) } };
}

/** A just-created API key, shown once on the page the create form redirects to, then cleared. */
export const newApiKeyCookie = createCookie("glimpse_new_key", {
  httpOnly: true,
  sameSite: "strict",
  secure: config.production,
  path: "/account",
  maxAge: 60,
  secrets: config.sessionSecrets,
});

/**
 * Between a right password and the code, on an account with two-factor sign-in: the router's
 * signed note (auth.login), which opens nothing by itself. Ten minutes. Path "/": with JavaScript
 * the login page's data comes from /login.data, which a "/login" cookie path does not cover.
 */
export const pendingLoginCookie = createCookie("glimpse_pending_login", {
  httpOnly: true,
  sameSite: "lax",
  secure: config.production,
  path: "/",
  maxAge: 10 * 60,
  secrets: config.sessionSecrets,
});

export async function readPendingLogin(request: Request): Promise<string | null> {
  const value = await pendingLoginCookie.parse(request.headers.get("Cookie"));
  return typeof value === "string" && value.length > 0 && value.length <= 1000 ? value : null;
}

/** Just-made recovery codes, shown once on the page the confirmation redirects to, then cleared. */
export const recoveryCodesCookie = createCookie("glimpse_recovery_codes", {
  httpOnly: true,
  sameSite: "strict",
  secure: config.production,
  path: "/account",
  maxAge: 60,
  secrets: config.sessionSecrets,
});

/**
 * An invitation link made while mail is off (or made anew with Resend), shown once to the admin on
 * the page the form redirects to, then cleared: the database keeps only its hash.
 */
export const newInvitationCookie = createCookie("glimpse_new_invitation", {
  httpOnly: true,
  sameSite: "strict",
  secure: config.production,
  path: "/sites",
  maxAge: 60,
  secrets: config.sessionSecrets,
});

/** The link made for `site`, if any, and the Set-Cookie that clears the cookie (whichever site it was for). */
export async function takeNewInvitation(request: Request, site: string): Promise<{ invitation: { email: string; link: string } | null; setCookie: string | null }> {
  const value = await newInvitationCookie.parse(request.headers.get("Cookie"));
  if (!value) return { invitation: null, setCookie: null };
  const ok = typeof value === "object" && value.site === site && typeof value.email === "string" && typeof value.link === "string";
  return { invitation: ok ? { email: value.email, link: value.link } : null, setCookie: await newInvitationCookie.serialize("", { maxAge: 0 }) };
}
