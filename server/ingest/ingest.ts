import type { Db } from "../../db/client.js";
import { jsonb } from "../../db/json.js";
import { NotFound } from "../errors.js";
import { type EventPayload, PAGEVIEW } from "../schemas/events.js";
import { normaliseDomain } from "../schemas/sites.js";
import { localDay } from "../stats/dates.js";
import { acquisitionOf } from "./referrer.js";
import { eventBuffer } from "./buffer.js";
import { type IngestResult, type PreparedEvent, type RequestMeta, VISIT_IDLE_MS, type VisitDims } from "./model.js";
import { dailySalt, lockVisitor, newSessionId, visitorId } from "./salts.js";
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
 * Records one event in a transaction of its own: the visitor is locked, the event joins the
 * visitor's open visit or starts one, and the event and its visit are written together.
 * This was the ingestion path before batching; it stays as the reference the batched path
 * (./batch.ts) is proven against, and for tools that need one event written before they go on.
 */
export async function ingestEvent(db: Db, payload: EventPayload, meta: RequestMeta): Promise<IngestResult> {
  const event = await prepareEvent(db, payload, meta);
  if (!event) return { accepted: false, reason: "bot" };
  const { siteId, ts: now, day, pathname, pageview, firstEvent } = event;
  const visitor = event.visitorId;

  await db.transaction().execute(async (trx) => {
    await lockVisitor(trx, visitor);
    const open = await trx
      .selectFrom("visits")
      .selectAll()
      .where("site_id", "=", siteId)
      .where("visitor_id", "=", visitor)
      .where("day", "=", day)
      .where("ended_at", ">=", new Date(now.getTime() - VISIT_IDLE_MS))
      .orderBy("ended_at", "desc")
      .limit(1)
      .executeTakeFirst();

    let session: number;
    let dims: VisitDims;
    if (open) {
      const latest = now >= open.ended_at;
      await trx
        .updateTable("visits")
        .set((eb) => ({
          started_at: now < open.started_at ? now : open.started_at,
          ended_at: latest ? now : open.ended_at,
          pageviews: eb("pageviews", "+", pageview ? 1 : 0),
          events: eb("events", "+", 1),
          exit_page: pageview && latest ? pathname : open.exit_page,
        }))
        .where("site_id", "=", siteId)
        .where("session_id", "=", open.session_id)
        .execute();
      session = open.session_id;
      dims = open;
    } else {
      session = newSessionId();
      dims = firstEvent;
      await trx
        .insertInto("visits")
        .values({
          ...firstEvent,
          site_id: siteId,
          session_id: session,
          visitor_id: visitor,
          day,
          started_at: now,
          ended_at: now,
          pageviews: pageview ? 1 : 0,
          events: 1,
          exit_page: pathname,
        })
        .execute();
    }

    await trx
      .insertInto("events")
      .values({
        site_id: siteId,
        ts: now,
        day,
        name: event.name,
        pathname,
        visitor_id: visitor,
        session_id: session,
        entry_page: dims.entry_page,
        referrer_source: dims.referrer_source,
        referrer: dims.referrer,
        utm_source: dims.utm_source,
        utm_medium: dims.utm_medium,
        utm_campaign: dims.utm_campaign,
        country: dims.country,
        device: dims.device,
        browser: dims.browser,
        os: dims.os,
        props: event.props && jsonb(event.props),
      })
      .execute();
  });
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
