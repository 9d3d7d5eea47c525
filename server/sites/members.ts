import type { Db } from "../../db/client.js";
import type { Role } from "../../db/schema.js";
import { env } from "../env.js";
import { Conflict, Forbidden, isUniqueViolation, NotFound } from "../errors.js";

export async function listMembers(db: Db, siteId: string) {
  const rows = await db
    .selectFrom("site_memberships as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select(["u.id", "u.email", "m.role", "m.created_at"])
    .where("m.site_id", "=", siteId)
    .orderBy("m.created_at")
    .execute();
  return rows.map((r) => ({ userId: r.id, email: r.email, role: r.role, addedAt: r.created_at.toISOString() }));
}

/**
 * Adds an existing account at once, for internal tools over the API. The settings page invites
 * instead (invitations.ts): the person then accepts, and may not have an account yet.
 */
export async function addMemberByEmail(db: Db, siteId: string, input: { email: string; role: Exclude<Role, "owner"> }, actorId: string) {
  const user = await db
    .selectFrom("users")
    .select(["id", "email", "email_confirmed_at"])
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", input.email.toLowerCase()))
    .executeTakeFirst();
  if (!user) throw new NotFound("No Glimpse account uses that email. Ask them to sign up first, then add them here.", "email");
  // Sign-up takes any address: with mail on, an account joins at once only once its address is proven (an invitation proves it).
  if (env().mail && !user.email_confirmed_at) throw new Conflict(`${user.email} has not confirmed that address yet: invite them instead (Site settings → General).`, "email");
  try {
    await db.transaction().execute(async (trx) => {
      await lockAsManager(trx, siteId, actorId);
      await trx.insertInto("site_memberships").values({ site_id: siteId, user_id: user.id, role: input.role }).execute();
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new Conflict(`${user.email} already has access to this site`, "email");
    throw error;
  }
  return { userId: user.id, email: user.email, role: input.role };
}

export const LAST_ADMIN = "A site needs at least one admin: make someone else an admin first.";

/** Locks the site's row for a change of its people, and checks again, under the lock, that the one asking still manages it. */
export async function lockAsManager(trx: Db, siteId: string, actorId: string): Promise<void> {
  await trx.selectFrom("sites").select("id").where("id", "=", siteId).forUpdate().execute();
  const actor = await trx.selectFrom("site_memberships").select("role").where("site_id", "=", siteId).where("user_id", "=", actorId).executeTakeFirst();
  if (actor?.role !== "owner" && actor?.role !== "admin") throw new Forbidden(NO_LONGER_ADMIN);
}

export const NO_LONGER_ADMIN = "You need the admin role on this site to change its members (your role changed meanwhile).";

/**
 * Membership changes on one site wait for each other (the site's row is locked), so two admins
 * demoting each other at once cannot leave the site without one. Owners and admins both manage:
 * the one asking is checked again under the lock, so an admin demoted a moment earlier, whose
 * request was already on its way past the router's check, changes nothing.
 */
async function lockedMember(trx: Db, siteId: string, userId: string, actorId: string) {
  await lockAsManager(trx, siteId, actorId);
  const row = await trx
    .selectFrom("site_memberships as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select(["m.role", "u.email"])
    .where("m.site_id", "=", siteId)
    .where("m.user_id", "=", userId)
    .executeTakeFirst();
  if (!row) throw new NotFound("This person has no access to the site");
  return row;
}

async function refuseLastAdmin(trx: Db, siteId: string, userId: string) {
  const { others } = await trx
    .selectFrom("site_memberships")
    .select((eb) => eb.fn.countAll<string>().as("others"))
    .where("site_id", "=", siteId)
    .where("user_id", "!=", userId)
    .where("role", "in", ["owner", "admin"])
    .executeTakeFirstOrThrow();
  if (Number(others) === 0) throw new Forbidden(LAST_ADMIN);
}

/** Owners stay: a site must never be left without one, and admins may not remove them. Nor the last admin. */
export async function removeMember(db: Db, siteId: string, userId: string, actorId: string) {
  return db.transaction().execute(async (trx) => {
    const row = await lockedMember(trx, siteId, userId, actorId);
    if (row.role === "owner") throw new Forbidden("Owners cannot be removed");
    if (row.role === "admin") await refuseLastAdmin(trx, siteId, userId);
    await trx.deleteFrom("site_memberships").where("site_id", "=", siteId).where("user_id", "=", userId).execute();
    return { email: row.email };
  });
}

/** Makes a member a viewer or an admin; an owner stays an owner, and the last admin stays one. */
export async function setMemberRole(db: Db, siteId: string, input: { userId: string; role: Exclude<Role, "owner"> }, actorId: string) {
  return db.transaction().execute(async (trx) => {
    const row = await lockedMember(trx, siteId, input.userId, actorId);
    if (row.role === "owner") throw new Forbidden("An owner's role cannot be changed");
    if (row.role === input.role) return { email: row.email, role: input.role, changed: false };
    if (row.role === "admin") await refuseLastAdmin(trx, siteId, input.userId);
    await trx.updateTable("site_memberships").set({ role: input.role }).where("site_id", "=", siteId).where("user_id", "=", input.userId).execute();
    return { email: row.email, role: input.role, changed: true };
  });
}
