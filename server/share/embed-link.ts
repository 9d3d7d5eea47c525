import type { Db } from "../../db/client.js";
import { Gone, Invalid } from "../errors.js";
import { DIMENSION_LABELS, type Filter } from "../schemas/filters.js";
import { EMBED_DEFAULT_MINUTES } from "../schemas/link-scope.js";
import type { Period } from "../schemas/stats.js";
import { linkState } from "../shared-links/link-scope.js";
import { embedUrl, getLink } from "../shared-links/links.js";
import { findLink } from "./access.js";
import { mintEmbedToken } from "./embed-token.js";
import { hiddenFilter } from "./scope.js";

/**
 * A signed token that opens one link's chrome-less dashboard in a frame, for `ttlMinutes` (an
 * hour by default, a day at most), locked to `period` and narrowed by `filters`. It dies with the
 * link (deleted, paused, expired) and with its password: a new password changes what it is bound to.
 */
export async function createEmbedToken(
  db: Db,
  siteId: string,
  input: { id: string; period?: Period; filters?: Filter[]; ttlMinutes?: number },
  now = new Date(),
) {
  const { slug } = await getLink(db, siteId, input.id);
  const link = await findLink(db, slug);
  const state = linkState({ expires_at: link.expiresAt, paused_at: link.pausedAt }, now);
  // Refused like every other request for a link that shows nothing now: 410, not a bad request.
  if (state !== "active") throw new Gone(`This link is ${state}: ${state === "paused" ? "resume it" : "give it a later expiry"} before embedding it`, state);
  const hidden = hiddenFilter(link, input.filters ?? []);
  if (hidden) throw new Invalid(`This link does not show ${DIMENSION_LABELS[hidden.dimension]}, so an embed cannot filter by it`, "filters");
  const ttl = new Date(now.getTime() + (input.ttlMinutes ?? EMBED_DEFAULT_MINUTES) * 60_000);
  // Never beyond the link's own expiry: the token would die there anyway, and should say so.
  const expiresAt = link.expiresAt && link.expiresAt < ttl ? link.expiresAt : ttl;
  const token = mintEmbedToken(link, { period: input.period, filters: input.filters, expiresAt });
  return { token, url: embedUrl(token), expiresAt: expiresAt.toISOString() };
}
