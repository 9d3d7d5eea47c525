import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { hashPassword } from "../auth/password.js";
import { createSession, type SessionUser } from "../auth/sessions.js";
import { sha256Hex } from "../auth/tokens.js";
import { Conflict, Forbidden, Invalid, isUniqueViolation } from "../errors.js";
import { limitKey } from "../net/client-address.js";
import { takeHit } from "../rate-limit.js";

export const INVITATION_DEAD = "This invitation has expired, was revoked or was already used. Ask an admin of the site for a new one.";

/** New accounts made from invitations, per client network (each costs a password hash). */
const ACCOUNTS_PER_NETWORK = { max: 20, windowMinutes: 60 };

/**
 * What the invitation page shows: the site, the role, the address it is for, and what the person
 * holding the link can do now. Null for a link that is unknown, expired or used. Only the holder of
 * the link learns whether the invited address has an account, and that address is theirs.
 */
export async function invitationFor(db: Db, token: string, signedIn: SessionUser | null, now: Date) {
  const row = await liveInvitation(db, token, now);
  if (!row) return null;
  const account = await accountOf(db, row.email);
  const next: "accept" | "log-in" | "wrong-account" | "choose-password" = signedIn
    ? signedIn.email.toLowerCase() === row.email.toLowerCase()
      ? "accept"
      : "wrong-account"
    : account
      ? "log-in"
      : "choose-password";
  return {
    email: row.email,
    role: row.role,
    site: row.domain,
    invitedBy: row.invited_by,
    expiresAt: row.expires_at.toISOString(),
    next,
    signedInAs: signedIn?.email ?? null,
  };
}

function liveInvitation(db: Db, token: string, now: Date) {
  return db
    .selectFrom("site_invitations as i")
    .innerJoin("sites as s", "s.id", "i.site_id")
    .innerJoin("users as u", "u.id", "i.invited_by")
    .select(["i.id", "i.email", "i.role", "i.site_id", "i.expires_at", "s.domain", "u.email as invited_by"])
    .where("i.token_hash", "=", sha256Hex(token))
    .where("i.expires_at", ">", now)
    .executeTakeFirst();
}

const accountOf = (db: Db, email: string) =>
  db
    .selectFrom("users")
    .select(["id", "email"])
    .where(sql<string>`lower(email)`, "=", email.toLowerCase())
    .executeTakeFirst();

/** Uses the invitation up (deletes it) in the caller's transaction; null when it is no longer live. */
async function claim(trx: Db, token: string, now: Date) {
  const claimed = await trx
    .deleteFrom("site_invitations")
    .where("token_hash", "=", sha256Hex(token))
    .where("expires_at", ">", now)
    .returning(["site_id", "email", "role", "sent_at"])
    .executeTakeFirst();
  if (!claimed) return null;
  const site = await trx.selectFrom("sites").select("domain").where("id", "=", claimed.site_id).executeTakeFirstOrThrow();
  return { ...claimed, domain: site.domain };
}

/**
 * Accepts for the signed-in account, which must be the invited address's: a link forwarded to,
 * or opened by, someone else never gives them the role. An account that has access already keeps
 * its role (an owner is never made a viewer), and the invitation is used up either way.
 */
export async function acceptInvitation(db: Db, token: string, user: SessionUser, now: Date) {
  const row = await liveInvitation(db, token, now);
  if (!row) throw new Invalid(INVITATION_DEAD);
  if (row.email.toLowerCase() !== user.email.toLowerCase()) {
    throw new Forbidden(`This invitation is for ${row.email}, and you are logged in as ${user.email}. Log out, then open the link again and log in as ${row.email} (or create that account).`);
  }
  return db.transaction().execute(async (trx) => {
    const claimed = await claim(trx, token, now);
    if (!claimed || claimed.email.toLowerCase() !== user.email.toLowerCase()) throw new Invalid(INVITATION_DEAD);
    const added = await trx
      .insertInto("site_memberships")
      .values({ site_id: claimed.site_id, user_id: user.id, role: claimed.role })
      .onConflict((oc) => oc.columns(["site_id", "user_id"]).doNothing())
      .returning("role")
      .executeTakeFirst();
    return { site: claimed.domain, role: claimed.role, alreadyMember: !added };
  });
}

/**
 * For an address without an account: the link proves the address, so the account is made with it
 * and the chosen password, joins the site, and is signed in, in one transaction (a second
 * submission of the link finds it used). An address that has an account meanwhile logs in instead.
 */
export async function acceptWithNewAccount(db: Db, input: { token: string; password: string }, client: string, userAgent: string, now: Date) {
  await takeHit(db, [{ key: limitKey("invite-account:client", client), ...ACCOUNTS_PER_NETWORK, message: "Too many new accounts from your network." }], now);
  const row = await liveInvitation(db, input.token, now);
  if (!row) throw new Invalid(INVITATION_DEAD);
  if (await accountOf(db, row.email)) throw new Conflict(`An account for ${row.email} exists already: log in to accept the invitation.`);
  const passwordHash = await hashPassword(input.password, client);
  try {
    return await db.transaction().execute(async (trx) => {
      const claimed = await claim(trx, input.token, now);
      if (!claimed) throw new Invalid(INVITATION_DEAD);
      // A link that was mailed (never shown to the admin) reached the address: it is confirmed.
      const user = await trx
        .insertInto("users")
        .values({ email: claimed.email, password_hash: passwordHash, email_confirmed_at: claimed.sent_at ? now : null })
        .returning(["id", "email"])
        .executeTakeFirstOrThrow();
      await trx.insertInto("site_memberships").values({ site_id: claimed.site_id, user_id: user.id, role: claimed.role }).execute();
      const session = await createSession(trx, user.id, new Date(), userAgent);
      return { user: { id: user.id, email: user.email } satisfies SessionUser, ...session, site: claimed.domain, role: claimed.role };
    });
  } catch (error) {
    if (isUniqueViolation(error, "users_email_key")) throw new Conflict(`An account for ${row.email} exists already: log in to accept the invitation.`);
    throw error;
  }
}
