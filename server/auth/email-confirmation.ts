import type { Db } from "../../db/client.js";
import { env } from "../env.js";
import { Conflict, Forbidden, Invalid, Unavailable } from "../errors.js";
import { configuredMailer } from "../mail/mailer.js";
import { limitKey } from "../net/client-address.js";
import { takeHit } from "../rate-limit.js";
import { readNote, signNote } from "../signed-note.js";
import { composeEmailConfirmation } from "./confirm-email-message.js";

const HOURS = 24;
const HOUR_MS = 3_600_000;

/** Confirmation mails per account and per client network: the address may be a stranger's. */
const PER_ACCOUNT = { max: 3, windowMinutes: 24 * 60 };
const PER_NETWORK = { max: 20, windowMinutes: 60 };

export const CONFIRM_LINK_DEAD = "This confirmation link has expired or is not for this account's address any more. Ask for a new one on your account page.";

/** Why mail on the account's behalf is refused, and what to do. */
export const UNCONFIRMED_SENDER =
  "Confirm your own email address first (Account → Email address → Send confirmation link). Until then no mail goes out in your account's name (invitations, digest confirmations, previews): sign-up takes any address, and mail must not reach strangers in its name.";

/**
 * The link's token: who, which address, until when, signed. Nothing is stored: confirming twice
 * is harmless, and a token for an address the account no longer has confirms nothing.
 */
function confirmationToken(userId: string, email: string, expiresAt: number): string {
  return signNote("email-confirmation", [userId, email.toLowerCase(), expiresAt]);
}

function readToken(token: string, now: Date): { userId: string; email: string } | null {
  const note = readNote("email-confirmation", token);
  if (!Array.isArray(note)) return null;
  const [userId, email, expiresAt] = note as unknown[];
  if (typeof userId !== "string" || typeof email !== "string" || typeof expiresAt !== "number" || expiresAt <= now.getTime()) return null;
  return { userId, email };
}

export interface EmailStatus {
  email: string;
  confirmed: boolean;
  /** Whether this server can mail a confirmation link (SMTP_URL). */
  mailEnabled: boolean;
}

export async function emailStatus(db: Db, userId: string): Promise<EmailStatus> {
  const user = await db.selectFrom("users").select(["email", "email_confirmed_at"]).where("id", "=", userId).executeTakeFirstOrThrow();
  return { email: user.email, confirmed: user.email_confirmed_at !== null, mailEnabled: env().mail !== null };
}

/** Mails the account's own address a link that confirms it (counted per account and network first). */
export async function sendEmailConfirmation(db: Db, userId: string, client: string, now: Date): Promise<{ email: string }> {
  const mailer = configuredMailer(env().mail);
  if (!mailer) throw new Invalid("This server sends no mail (no SMTP_URL), so there is nothing to confirm.");
  const user = await db.selectFrom("users").select(["email", "email_confirmed_at"]).where("id", "=", userId).executeTakeFirstOrThrow();
  if (user.email_confirmed_at) throw new Conflict(`${user.email} is confirmed already.`);
  await takeHit(
    db,
    [
      { key: limitKey("email-confirm:user", userId), ...PER_ACCOUNT, message: "No more confirmation emails for this account today." },
      { key: limitKey("email-confirm:client", client), ...PER_NETWORK, message: "Too many confirmation emails from your network." },
    ],
    now,
  );
  const token = confirmationToken(userId, user.email, now.getTime() + HOURS * HOUR_MS);
  const host = new URL(env().publicUrl).host;
  const message = composeEmailConfirmation({ to: user.email, confirmUrl: `${env().publicUrl}/confirm-email/${token}`, hours: HOURS, host, sentAt: now, id: userId.slice(0, 8) });
  try {
    await mailer.send(message);
  } catch {
    // The mail server's own words name the operator's hosts: not for every account.
    throw new Unavailable("The mail server did not take the email. Try again later.", 60);
  }
  return { email: user.email };
}

/** The address a live link would confirm, or null (expired, forged, or the account's address changed). */
export async function confirmationTarget(db: Db, token: string, now: Date): Promise<{ email: string; confirmed: boolean } | null> {
  const claim = readToken(token, now);
  if (!claim) return null;
  const user = await db.selectFrom("users").select(["email", "email_confirmed_at"]).where("id", "=", claim.userId).executeTakeFirst();
  if (!user || user.email.toLowerCase() !== claim.email) return null;
  return { email: user.email, confirmed: user.email_confirmed_at !== null };
}

export const CONFIRM_OTHER_ACCOUNT = "This link confirms the address of another account. Log out, then log in as that account to confirm it.";

/**
 * Only the account itself confirms its address: the link goes to the address, and someone who
 * signed up with a stranger's address could otherwise ask for one and have the stranger click it,
 * making the stranger vouch for the account that took their address.
 */
export async function confirmEmail(db: Db, token: string, now: Date, userId: string): Promise<{ email: string }> {
  const claim = readToken(token, now);
  if (!claim) throw new Invalid(CONFIRM_LINK_DEAD);
  if (claim.userId !== userId) throw new Forbidden(CONFIRM_OTHER_ACCOUNT);
  const user = await db
    .updateTable("users")
    .set((eb) => ({ email_confirmed_at: eb.fn.coalesce("email_confirmed_at", eb.val(now)) }))
    .where("id", "=", claim.userId)
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", claim.email))
    .returning("email")
    .executeTakeFirst();
  if (!user) throw new Invalid(CONFIRM_LINK_DEAD);
  return user;
}

export const UNPROVEN_ADDRESS =
  "Confirm your email address first (Account → Email address → Send confirmation link): sign-up takes any address, so API keys and two-factor sign-in wait until the address is proven yours.";

/**
 * Refuses what would outlive the owner taking the account back (API keys, two-factor sign-in)
 * while its address is unproven: whoever signed up may not own it. Without mail no address can be
 * proven, and accounts there come from people the operator knows: nothing is refused.
 */
export async function requireProvenAddress(db: Db, userId: string): Promise<void> {
  if (!env().mail) return;
  const user = await db.selectFrom("users").select("email_confirmed_at").where("id", "=", userId).executeTakeFirst();
  if (!user?.email_confirmed_at) throw new Conflict(UNPROVEN_ADDRESS);
}

/** Refuses mail on the account's behalf (invitations, recipients' confirmations, previews) while its address is unconfirmed. */
export async function requireConfirmedEmail(db: Db, userId: string): Promise<void> {
  const user = await db.selectFrom("users").select("email_confirmed_at").where("id", "=", userId).executeTakeFirst();
  if (!user?.email_confirmed_at) throw new Conflict(UNCONFIRMED_SENDER);
}
