import type { Db } from "../../db/client.js";
import type { Role } from "../../db/schema.js";
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
 * People are added by the email of an existing account; nobody gets an invitation email from
 * Glimpse, so nothing here can be used to send mail on someone's behalf.
 */
export async function addMemberByEmail(db: Db, siteId: string, input: { email: string; role: Exclude<Role, "owner"> }) {
  const user = await db
    .selectFrom("users")
    .select(["id", "email"])
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", input.email.toLowerCase()))
    .executeTakeFirst();
  if (!user) throw new NotFound("No Glimpse account uses that email. Ask them to sign up first, then add them here.", "email");
  try {
    await db.insertInto("site_memberships").values({ site_id: siteId, user_id: user.id, role: input.role }).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new Conflict(`${user.email} already has access to this site`, "email");
    throw error;
  }
  return { userId: user.id, email: user.email, role: input.role };
}

/** Owners stay: a site must never be left without one, and admins may not remove them. */
export async function removeMember(db: Db, siteId: string, userId: string) {
  const row = await db
    .selectFrom("site_memberships as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select(["m.role", "u.email"])
    .where("m.site_id", "=", siteId)
    .where("m.user_id", "=", userId)
    .executeTakeFirst();
  if (!row) throw new NotFound("This person has no access to the site");
  if (row.role === "owner") throw new Forbidden("Owners cannot be removed");
  await db.deleteFrom("site_memberships").where("site_id", "=", siteId).where("user_id", "=", userId).execute();
  return { email: row.email };
}
