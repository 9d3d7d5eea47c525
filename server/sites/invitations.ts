import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { generateToken, sha256Hex } from "../auth/tokens.js";
import { requireConfirmedEmail } from "../auth/email-confirmation.js";
import { lockAsManager } from "./members.js";
import { configuredMailer } from "../mail/mailer.js";
import { env } from "../env.js";
import { Conflict, Invalid, isUniqueViolation, NotFound, TooManyRequests, Unavailable } from "../errors.js";
import { limitKey } from "../net/client-address.js";
import { type Budget, takeHit } from "../rate-limit.js";
import { formatDay } from "../schemas/display.js";
import {
  INVITE_DAYS,
  INVITE_RESEND_MINUTES,
  INVITES_PER_ACCOUNT,
  INVITES_PER_ADDRESS_DAY,
  INVITES_PER_NETWORK,
  MAX_PENDING_PER_ACCOUNT,
  MAX_PENDING_PER_SITE,
} from "../schemas/invitations.js";
import { composeInvitationEmail } from "./invitation-email.js";

const DAY_MS = 86_400_000;
const HOUR = 60;
const DAY = 24 * 60;

type InviteRole = "viewer" | "admin";
interface Site {
  id: string;
  domain: string;
}
/** Who invites: the account, and the client network it asks from (an IPv4 address or an IPv6 /64). */
export interface Inviter {
  userId: string;
  email: string;
  client: string;
}

export const invitationUrl = (token: string) => `${env().publicUrl}/invitations/${token}`;

/**
 * Counted before anything is made or mailed: the inviter's budgets first (a client over them
 * never counts against its network's), then the network's, then the address's, which everyone
 * shares (an address gets only a few invitations a day from this server, whoever sends them).
 */
function takeInviteHit(db: Db, inviter: Inviter, address: string, now: Date) {
  const what = "invitations (new or sent again)";
  const budgets: Budget[] = [
    { key: limitKey("invite-account-hour", inviter.userId), max: INVITES_PER_ACCOUNT.hour, windowMinutes: HOUR, message: `An account can send ${INVITES_PER_ACCOUNT.hour} ${what} an hour` },
    { key: limitKey("invite-account-day", inviter.userId), max: INVITES_PER_ACCOUNT.day, windowMinutes: DAY, message: `An account can send ${INVITES_PER_ACCOUNT.day} ${what} a day` },
    { key: limitKey("invite-network-hour", inviter.client), max: INVITES_PER_NETWORK.hour, windowMinutes: HOUR, message: `${INVITES_PER_NETWORK.hour} ${what} an hour can be sent from one network` },
    { key: limitKey("invite-network-day", inviter.client), max: INVITES_PER_NETWORK.day, windowMinutes: DAY, message: `${INVITES_PER_NETWORK.day} ${what} a day can be sent from one network` },
    { key: limitKey("invite-address", address.toLowerCase()), max: INVITES_PER_ADDRESS_DAY, windowMinutes: DAY, message: "No more invitations go to this address today" },
  ];
  return takeHit(db, budgets, now);
}

export interface InvitationRow {
  id: string;
  email: string;
  role: InviteRole;
  invitedBy: string;
  createdAt: string;
  sentAt: string | null;
  expiresAt: string;
  expired: boolean;
}

/** A site's pending invitations, expired ones too (marked), oldest first. */
export async function listInvitations(db: Db, siteId: string, now: Date): Promise<InvitationRow[]> {
  const rows = await db
    .selectFrom("site_invitations as i")
    .innerJoin("users as u", "u.id", "i.invited_by")
    .select(["i.id", "i.email", "i.role", "u.email as invited_by", "i.created_at", "i.sent_at", "i.expires_at"])
    .where("i.site_id", "=", siteId)
    .orderBy("i.created_at")
    .orderBy("i.id")
    .execute();
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    role: r.role,
    invitedBy: r.invited_by,
    createdAt: r.created_at.toISOString(),
    sentAt: r.sent_at?.toISOString() ?? null,
    expiresAt: r.expires_at.toISOString(),
    expired: r.expires_at.getTime() <= now.getTime(),
  }));
}

/** Someone with access already is not invited: the message says who and as what. */
async function refuseMember(db: Db, siteId: string, email: string) {
  const member = await db
    .selectFrom("site_memberships as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select(["u.email", "m.role"])
    .where("m.site_id", "=", siteId)
    .where(sql<string>`lower(u.email)`, "=", email.toLowerCase())
    .executeTakeFirst();
  if (member) throw new Conflict(`${member.email} already has access to this site (${member.role})`, "email");
}

/** A live invitation to the address is sent again from the list, not made twice. */
async function refusePending(db: Db, siteId: string, email: string, now: Date) {
  const pending = await db
    .selectFrom("site_invitations")
    .select(["email", "expires_at"])
    .where("site_id", "=", siteId)
    .where(sql<string>`lower(email)`, "=", email.toLowerCase())
    .where("expires_at", ">", now)
    .executeTakeFirst();
  if (pending) throw new Conflict(`${pending.email} is already invited; send the invitation again from the list of pending invitations`, "email");
}

async function refuseOverCaps(trx: Db, siteId: string, userId: string) {
  const { onSite, byAccount } = await trx
    .selectFrom("site_invitations")
    .select((eb) => [eb.fn.countAll<string>().filterWhere("site_id", "=", siteId).as("onSite"), eb.fn.countAll<string>().filterWhere("invited_by", "=", userId).as("byAccount")])
    .where((eb) => eb.or([eb("site_id", "=", siteId), eb("invited_by", "=", userId)]))
    .executeTakeFirstOrThrow();
  if (Number(onSite) >= MAX_PENDING_PER_SITE) throw new Invalid(`A site can have at most ${MAX_PENDING_PER_SITE} pending invitations; revoke some first`, "email");
  if (Number(byAccount) >= MAX_PENDING_PER_ACCOUNT) throw new Invalid(`An account can have at most ${MAX_PENDING_PER_ACCOUNT} pending invitations over all its sites; revoke some first`, "email");
}

/**
 * Invites an address to the site with a role. The link's token is stored only as its SHA-256;
 * it goes out by mail, or (mail off) comes back in the answer, once, for the admin to pass on.
 * Budgets are counted first, and the row and the mail stand or fall together: a refusal, or a
 * mail server that does not take the mail, leaves nothing behind.
 */
export async function inviteToSite(db: Db, site: Site, input: { email: string; role: InviteRole }, inviter: Inviter, now: Date) {
  const email = input.email.trim();
  await refuseMember(db, site.id, email);
  await refusePending(db, site.id, email, now);
  const mail = configuredMailer(env().mail);
  // The mail names the inviter: only an account whose address is proven may send it.
  if (mail) await requireConfirmedEmail(db, inviter.userId);
  const release = await takeInviteHit(db, inviter, email, now);
  const token = generateToken();
  const expiresAt = new Date(now.getTime() + INVITE_DAYS * DAY_MS);
  let row;
  try {
    row = await db.transaction().execute(async (trx) => {
      // One site's invitations and memberships change one at a time, so every cap and check holds,
      // and an admin demoted while this was on its way invites no one.
      await lockAsManager(trx, site.id, inviter.userId);
      await refuseMember(trx, site.id, email);
      await refusePending(trx, site.id, email, now);
      // An expired invitation to the address gives way to the new one.
      await trx.deleteFrom("site_invitations").where("site_id", "=", site.id).where(sql<string>`lower(email)`, "=", email.toLowerCase()).execute();
      await refuseOverCaps(trx, site.id, inviter.userId);
      return trx
        .insertInto("site_invitations")
        .values({ site_id: site.id, email, role: input.role, token_hash: sha256Hex(token), invited_by: inviter.userId, created_at: now, sent_at: mail ? now : null, expires_at: expiresAt })
        .returning(["id", "email", "role"])
        .executeTakeFirstOrThrow();
    });
  } catch (error) {
    await release();
    if (isUniqueViolation(error)) throw new Conflict(`${email} is already invited; send the invitation again from the list of pending invitations`, "email");
    throw error;
  }
  const result = { id: row.id, site: site.domain, email: row.email, role: row.role, expiresAt: expiresAt.toISOString() };
  if (!mail) return { ...result, mailed: false, link: invitationUrl(token) };
  try {
    await mail.send(invitationMessage(row, token, inviter.email, site.domain, now));
  } catch {
    await db.deleteFrom("site_invitations").where("id", "=", row.id).execute();
    await release();
    // The mail server's own words name the operator's hosts: not for every site admin.
    throw new Unavailable(`The mail server did not take the invitation, so ${email} was not invited. Try again later.`, 60);
  }
  return { ...result, mailed: true, link: null };
}

/**
 * A new link for a pending invitation (the old one stops working), valid another INVITE_DAYS:
 * mailed at most once per INVITE_RESEND_MINUTES, or (mail off) returned for the admin to pass on.
 */
export async function resendInvitation(db: Db, site: Site, id: string, inviter: Inviter, now: Date) {
  const row = await db
    .selectFrom("site_invitations")
    .select(["id", "email", "role", "token_hash", "sent_at", "expires_at"])
    .where("site_id", "=", site.id)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw new NotFound("Invitation not found; it may have been accepted or revoked");
  const mail = configuredMailer(env().mail);
  if (mail) await requireConfirmedEmail(db, inviter.userId);
  const wait = mail && row.sent_at ? row.sent_at.getTime() + INVITE_RESEND_MINUTES * 60_000 - now.getTime() : 0;
  if (wait > 0) throw new TooManyRequests(`An invitation went to ${row.email} less than ${INVITE_RESEND_MINUTES} minutes ago`, Math.ceil(wait / 1000));
  const release = await takeInviteHit(db, inviter, row.email, now);
  const token = generateToken();
  const expiresAt = new Date(now.getTime() + INVITE_DAYS * DAY_MS);
  // Claimed with the old token as the condition, so two presses at once make one link.
  const claimed = await db
    .updateTable("site_invitations")
    .set({ token_hash: sha256Hex(token), sent_at: mail ? now : null, expires_at: expiresAt })
    .where("id", "=", row.id)
    .where("token_hash", "=", row.token_hash)
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) {
    await release();
    throw new Conflict(`The invitation to ${row.email} changed meanwhile; reload the page and try again`);
  }
  const result = { id: row.id, site: site.domain, email: row.email, role: row.role, expiresAt: expiresAt.toISOString() };
  if (!mail) return { ...result, mailed: false, link: invitationUrl(token) };
  try {
    await mail.send(invitationMessage(row, token, inviter.email, site.domain, now));
  } catch {
    await db
      .updateTable("site_invitations")
      .set({ token_hash: row.token_hash, sent_at: row.sent_at, expires_at: row.expires_at })
      .where("id", "=", row.id)
      .where("token_hash", "=", sha256Hex(token))
      .execute();
    await release();
    throw new Unavailable("The mail server did not take the invitation. Try again later.", 60);
  }
  return { ...result, mailed: true, link: null };
}

/** The link stops working at once. */
export async function revokeInvitation(db: Db, siteId: string, id: string) {
  const gone = await db.deleteFrom("site_invitations").where("site_id", "=", siteId).where("id", "=", id).returning("email").executeTakeFirst();
  if (!gone) throw new NotFound("Invitation not found; it may have been accepted or revoked");
  return { email: gone.email };
}

function invitationMessage(row: { id: string; email: string; role: InviteRole }, token: string, invitedBy: string, domain: string, now: Date) {
  const { publicUrl } = env();
  const expires = new Date(now.getTime() + INVITE_DAYS * DAY_MS);
  return composeInvitationEmail({
    to: row.email,
    invitedBy,
    domain,
    role: row.role,
    acceptUrl: invitationUrl(token),
    expiresOn: `${formatDay(expires.toISOString().slice(0, 10))} (UTC)`,
    host: new URL(publicUrl).hostname,
    sentAt: now,
    id: row.id,
  });
}
