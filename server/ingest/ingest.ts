import type { Db } from "../../db/client.js";
import { NotFound } from "../errors.js";
import { type EventPayload, PAGEVIEW } from "../schemas/events.js";
import { normaliseDomain } from "../schemas/sites.js";
import { localDay } from "../dates.js";
import { acquisitionOf } from "./referrer.js";
import { eventBuffer } from "./buffer.js";
import type { IngestResult, PreparedEvent, RequestMeta } from "./model.js";
import { dailySalt, visitorId } from "./salts.js";
import { siteForDomain } from "./site-lookup.js";
import { clientOf } from "./user-agent.js";

function pathnameOf(url: URL): string {
  // Decoded for readability ("/café", not "/caf%C3%A9"), unless that would produce control characters.
  let path = url.pathname;
  try {
    const decoded = decodeURIComponent(path);
    if (!/[\u0000-\u001f\u007f]/.test(decoded)) path = decoded;
  } catch {
    // Malformed escapes stay as sent.
  }
  return path.slice(0, 2000) || "/";
}

const days = new Map<string, string>();

/** The site-local day, worked out once a minute per timezone (every offset is whole minutes). */
function dayIn(date: Date, timezone: string): string {
  const key = `${timezone}\n${Math.floor(date.getTime() / 60_000)}`;
  let day = days.get(key);
  if (day === undefined) {
    if (days.size >= 1_000) days.clear();
    day = localDay(date, timezone);
    days.set(key, day);
  }
  return day;
}

/**
 * Everything about an event that needs no visit: the checks (bots, unknown sites), the visitor's
 * daily-salted id (the address and user agent go no further than this), the page and the
 * dimensions a visit it starts would have.
 */
export async function prepareEvent(db: Db, payload: EventPayload, meta: RequestMeta): Promise<PreparedEvent | null> {
  const client = clientOf(meta.userAgent);
  if (!client) return null;
  const site = await siteForDomain(db, normaliseDomain(payload.domain));
  if (!site) throw new NotFound("Unknown site domain", "domain");
  const now = meta.now ?? new Date();
  const url = new URL(payload.url);
  const pathname = pathnameOf(url);
  const day = dayIn(now, site.timezone);
  return {
    siteId: site.id,
    timezone: site.timezone,
    ts: now,
    day,
    name: payload.name,
    pathname,
    pageview: payload.name === PAGEVIEW,
    visitorId: visitorId(await dailySalt(db, day), site.id, meta.ip, meta.userAgent),
    firstEvent: {
      entry_page: pathname,
      ...acquisitionOf(url, payload.referrer, site.domain),
      country: /^[A-Z]{2}$/.test(meta.country) ? meta.country : "",
      ...client,
    },
    props: propsOf(payload),
  };
}

/**
 * What POST /api/event does: the event is checked, then waits in this process's buffer with
 * others and is written with them within the flush interval (see ./buffer.ts). Accepted means
 * buffered; a full buffer (the database has been away for a while) refuses with Unavailable.
 */
export async function acceptEvent(db: Db, payload: EventPayload, meta: RequestMeta): Promise<IngestResult> {
  const event = await prepareEvent(db, payload, meta);
  if (!event) return { accepted: false, reason: "bot" };
  eventBuffer(db).accept(event);
  return { accepted: true };
}

/**
 * Custom properties as text ({"plan": "pro", "seats": "5"}), the way goal breakdowns show and
 * filter them; properties sent as null are left out, and an event without any stores null.
 */
function propsOf(payload: EventPayload): Record<string, string> | null {
  const entries = Object.entries(payload.props ?? {}).filter((entry): entry is [string, string | number | boolean] => entry[1] !== null);
  return entries.length ? Object.fromEntries(entries.map(([key, value]) => [key, String(value)])) : null;
}
