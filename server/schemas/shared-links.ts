import { z } from "zod";
import { id, password, siteRef, text } from "./common.js";
import { filterList } from "./filters.js";
import { EMBED_MAX_MINUTES, scopeFields } from "./link-scope.js";
import { MAX_VIEW_FILTERS, period } from "./stats.js";

/** Names reserved for links that integrations create through the API. Compared case-insensitively. */
export const RESERVED_LINK_NAMES = ["WordPress - Shared Dashboard"] as const;

/** Compared as people read them: compatibility forms folded (full-width letters), then case. */
export function isReservedLinkName(name: string): boolean {
  const folded = name.normalize("NFKC").trim().toLowerCase();
  return RESERVED_LINK_NAMES.some((r) => r.toLowerCase() === folded);
}

const segmentId = z.uuid({ error: "Segment not found for this site" });

export const listLinksInput = z.strictObject({
  site: siteRef,
  /** Accepted from older tools and ignored: every link is listed, integration links included. */
  includeIntegration: z.boolean().optional(),
});

export const linkRefInput = z.strictObject({ site: siteRef, id: id("Shared link") });

export const createLinkInput = z.strictObject({
  site: siteRef,
  name: text("Name", 100),
  password: password.optional(),
  segmentId: segmentId.nullable().optional(),
  integration: z.boolean().optional(),
  ...scopeFields,
});

/**
 * `password`: absent keeps the current one, a string replaces it, null removes it.
 * `segmentId`: absent keeps it, null means all data.
 * The scope fields (`expiresAt`, `paused`, `dateBounds`, `visibleSections`, `allow…`): absent keeps
 * the value; null removes an expiry or date bounds.
 */
export const updateLinkInput = z.strictObject({
  site: siteRef,
  id: id("Shared link"),
  name: text("Name", 100).optional(),
  password: password.nullable().optional(),
  segmentId: segmentId.nullable().optional(),
  ...scopeFields,
});

/** A signed embed token for a link: it may fix the period and add filters, and lives at most 24 h. */
export const createEmbedTokenInput = z.strictObject({
  site: siteRef,
  id: id("Shared link"),
  period: period.optional(),
  filters: filterList(MAX_VIEW_FILTERS).optional(),
  ttlMinutes: z
    .number({ error: "ttlMinutes is a number of minutes" })
    .int("ttlMinutes is a whole number of minutes")
    .min(1, "ttlMinutes is at least 1")
    .max(EMBED_MAX_MINUTES, `An embed token lives at most ${EMBED_MAX_MINUTES} minutes (24 hours)`)
    .optional(),
});
