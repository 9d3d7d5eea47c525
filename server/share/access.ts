import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Db } from "../../db/client.js";
import { env } from "../env.js";
import { Gone, NotFound, Unauthorized } from "../errors.js";
import type { Filter } from "../schemas/filters.js";
import type { DateBounds, Section } from "../schemas/link-scope.js";
import { boundsOf, linkState, originsOf, sectionsOf } from "../shared-links/link-scope.js";

/** How long an unlock lasts. The cookie, the docs and the tests use this one constant. */
export const UNLOCK_HOURS = 24;
/** The unlock cookie remembers at most this many links (the most recently unlocked). */
export const MAX_UNLOCKED_LINKS = 20;

/** Unlock state as carried by the signed cookie: slug → fingerprint and expiry (epoch seconds). */
export type Unlocks = Record<string, { f: string; e: number }>;

export interface ShareLink {
  id: string;
  slug: string;
  site: { id: string; domain: string; timezone: string };
  passwordHash: string | null;
  /** Changes on every resume, and when an expiry that had passed is lifted or moved: unlocks and tokens made before do not survive either. */
  resumedAt: string | null;
  segment: { name: string; filters: Filter[] } | null;
  expiresAt: Date | null;
  pausedAt: Date | null;
  bounds: DateBounds | null;
  sections: Section[];
  allowPeriodChange: boolean;
  allowFilters: boolean;
  allowExport: boolean;
  /** Sites allowed to frame the embed; empty: any site. */
  embedOrigins: string[];
}

const NOT_FOUND = "This shared link does not exist or was deleted";
const SLUG = /^[A-Za-z0-9_-]{21}$/;

/** Unknown and deleted slugs give the same answer. */
export async function findLink(db: Db, slug: string): Promise<ShareLink> {
  if (!SLUG.test(slug)) throw new NotFound(NOT_FOUND);
  return loadLink(db, "l.slug", slug);
}

/** For jobs that hold a link's id (digests): the same link as its slug opens. */
export function findLinkById(db: Db, id: string): Promise<ShareLink> {
  return loadLink(db, "l.id", id);
}

async function loadLink(db: Db, column: "l.slug" | "l.id", value: string): Promise<ShareLink> {
  const row = await db
    .selectFrom("shared_links as l")
    .innerJoin("sites", "sites.id", "l.site_id")
    .leftJoin("segments as s", (join) => join.onRef("s.id", "=", "l.segment_id").onRef("s.site_id", "=", "l.site_id"))
    .select(["l.id", "l.slug", "l.password_hash", "sites.id as site_id", "sites.domain", "sites.timezone", "s.name as segment_name", "s.filters as segment_filters"])
    .select(["l.expires_at", "l.paused_at", "l.resumed_at", "l.bounds_from", "l.bounds_to", "l.visible_sections", "l.allow_period_change", "l.allow_filters", "l.allow_export", "l.embed_origins"])
    .where(column, "=", value)
    .executeTakeFirst();
  if (!row) throw new NotFound(NOT_FOUND);
  return {
    id: row.id,
    slug: row.slug,
    site: { id: row.site_id, domain: row.domain, timezone: row.timezone },
    passwordHash: row.password_hash,
    resumedAt: row.resumed_at?.toISOString() ?? null,
    segment: row.segment_name ? { name: row.segment_name, filters: row.segment_filters as Filter[] } : null,
    expiresAt: row.expires_at,
    pausedAt: row.paused_at,
    bounds: boundsOf(row),
    sections: sectionsOf(row.visible_sections),
    allowPeriodChange: row.allow_period_change,
    allowFilters: row.allow_filters,
    allowExport: row.allow_export,
    embedOrigins: originsOf(row.embed_origins),
  };
}

export const EXPIRED = "This shared link has expired";
export const PAUSED = "This shared link is paused";

/** An expired or paused link shows nothing, on every path: 410, whatever cookie is held. */
export function requireLive(link: ShareLink, now: Date): void {
  const state = linkState({ expires_at: link.expiresAt, paused_at: link.pausedAt }, now);
  if (state === "expired") throw new Gone(EXPIRED, "expired");
  if (state === "paused") throw new Gone(PAUSED, "paused");
}

/**
 * Binds an unlock to the link and to its current password hash. Argon2 hashes carry a fresh salt,
 * so replacing the password, or removing it and adding one back, changes the fingerprint and
 * every earlier unlock stops working.
 */
export function fingerprint(link: { id: string; passwordHash: string | null; resumedAt: string | null }, secret: string): string {
  return createHmac("sha256", secret)
    .update(`unlock\n${link.id}\n${link.passwordHash ?? ""}\n${link.resumedAt ?? ""}`)
    .digest("base64url")
    .slice(0, 32);
}

/**
 * Changes whenever what the link shows changes: its site, its segment (name or filters) or its
 * scope. A page rendered earlier for this link may be shown again only while this is the same
 * (and the link is still live: `revisit` checks that on its own).
 */
export function contentVersion(link: ShareLink): string {
  const scope = [link.bounds, link.sections, link.allowPeriodChange, link.allowFilters, link.allowExport, link.embedOrigins];
  return createHash("sha256").update(JSON.stringify([link.id, link.site, link.segment, scope])).digest("base64url").slice(0, 22);
}

export function isUnlocked(link: ShareLink, unlocks: Unlocks, now = new Date()): boolean {
  if (!link.passwordHash) return true;
  const entry = unlocks[link.slug];
  if (!entry || typeof entry.f !== "string" || typeof entry.e !== "number") return false;
  if (entry.e * 1000 <= now.getTime()) return false;
  const given = Buffer.from(entry.f);
  // Every configured secret verifies, so rotating SESSION_SECRET does not lock everyone out at once.
  return env().sessionSecrets.some((secret) => {
    const expected = Buffer.from(fingerprint(link, secret));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

/** The gate in front of every piece of share data: the link exists, is live, and is unlocked. */
export async function requireAccess(db: Db, slug: string, unlocks: Unlocks, now = new Date()): Promise<ShareLink> {
  const link = await findLink(db, slug);
  requireLive(link, now);
  if (!isUnlocked(link, unlocks, now)) throw new Unauthorized("This dashboard is password protected");
  return link;
}
