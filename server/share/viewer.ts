import { type DailySalts, visitorId } from "../ingest/salts.js";
import { localDay } from "../dates.js";
import type { ShareLink } from "./access.js";
import type { View } from "./views.js";

/**
 * A page view of a link: its site-local day and the viewer's hash for that day, made like a site
 * visitor's (the day's salt, the link, the address and the browser), so one person reloading is
 * one viewer, and nobody can tell who it was once the salt is gone.
 */
export async function pageView(salts: DailySalts, link: Pick<ShareLink, "id" | "site">, client: { ip: string; userAgent: string }, now: Date): Promise<View> {
  const day = localDay(now, link.site.timezone);
  const salt = await salts.of(day);
  return { linkId: link.id, day, viewer: visitorId(salt, `link:${link.id}`, client.ip, client.userAgent) };
}
