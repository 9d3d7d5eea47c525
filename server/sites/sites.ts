import type { Db } from "../../db/client.js";
import type { Role } from "../../db/schema.js";
import { env } from "../env.js";
import { Conflict, Forbidden, isUniqueViolation, NotFound } from "../errors.js";

const RANK: Record<Role, number> = { viewer: 1, admin: 2, owner: 3 };

/** Throws Forbidden unless the role reaches the minimum. */
export function assertRole(access: SiteAccess, minimum: Role): void {
  if (RANK[access.role] < RANK[minimum]) {
    throw new Forbidden(`You need the ${minimum} role on ${access.site.domain} to do that; you are a ${access.role}`);
  }
}

export interface SiteAccess {
  site: { id: string; domain: string; timezone: string; createdAt: string };
  role: Role;
}

/**
 * The one gate for site-scoped work. A site the user is not a member of is "not found", never
 * "forbidden", so nobody can probe which domains exist.
 */
export async function requireSite(db: Db, userId: string, domain: string, minimum: Role): Promise<SiteAccess> {
  const row = await db
    .selectFrom("sites")
    .innerJoin("site_memberships as m", "m.site_id", "sites.id")
    .select(["sites.id", "sites.domain", "sites.timezone", "sites.created_at", "m.role"])
    .where("sites.domain", "=", domain.trim().toLowerCase())
    .where("m.user_id", "=", userId)
    .executeTakeFirst();
  if (!row) throw new NotFound("Site not found");
  const access = { site: toSite(row), role: row.role };
  assertRole(access, minimum);
  return access;
}

/**
 * Adds a site owned by the user. Sign-up is open, so an account owns at most MAX_SITES_PER_ACCOUNT
 * sites: per-site limits (digest recipients, previews) would mean little if sites were free.
 */
export async function createSite(db: Db, userId: string, input: { domain: string; timezone: string }): Promise<SiteAccess> {
  const max = env().sitesPerAccount;
  try {
    return await db.transaction().execute(async (trx) => {
      // Serialises one account's additions, so two at once cannot both take the last place.
      await trx.selectFrom("users").select("id").where("id", "=", userId).forUpdate().execute();
      const { owned } = await trx
        .selectFrom("site_memberships")
        .select((eb) => eb.fn.countAll<string>().as("owned"))
        .where("user_id", "=", userId)
        .where("role", "=", "owner")
        .executeTakeFirstOrThrow();
      if (Number(owned) >= max) {
        throw new Forbidden(`An account can own at most ${max} sites on this server, and yours has ${owned}. Ask whoever runs this Glimpse server to raise MAX_SITES_PER_ACCOUNT if you need more.`);
      }
      const site = await trx
        .insertInto("sites")
        .values({ domain: input.domain, timezone: input.timezone })
        .returning(["id", "domain", "timezone", "created_at"])
        .executeTakeFirstOrThrow();
      await trx.insertInto("site_memberships").values({ site_id: site.id, user_id: userId, role: "owner" }).execute();
      return { site: toSite(site), role: "owner" as const };
    });
  } catch (error) {
    if (isUniqueViolation(error, "sites_domain_key")) {
      throw new Conflict(`${input.domain} is already registered in Glimpse`, "domain");
    }
    throw error;
  }
}

export async function listSites(db: Db, userId: string) {
  const rows = await db
    .selectFrom("sites")
    .innerJoin("site_memberships as m", "m.site_id", "sites.id")
    .select(["sites.id", "sites.domain", "sites.timezone", "sites.created_at", "m.role"])
    .where("m.user_id", "=", userId)
    .orderBy("sites.domain")
    .execute();
  return rows.map((row) => ({ ...toSite(row), role: row.role }));
}

/** Adds or changes a member; used by the seed and tests (team management has no page yet). */
export async function addMember(db: Db, siteId: string, userId: string, role: Role): Promise<void> {
  await db
    .insertInto("site_memberships")
    .values({ site_id: siteId, user_id: userId, role })
    .onConflict((oc) => oc.columns(["site_id", "user_id"]).doUpdateSet({ role }))
    .execute();
}

function toSite(row: { id: string; domain: string; timezone: string; created_at: Date }) {
  return { id: row.id, domain: row.domain, timezone: row.timezone, createdAt: row.created_at.toISOString() };
}
