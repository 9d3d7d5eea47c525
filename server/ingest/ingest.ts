import { isbot } from "isbot";
import type { Db } from "../../db/client.js";
import { jsonb } from "../../db/json.js";
import type { VisitsTable } from "../../db/schema.js";
import { NotFound } from "../errors.js";
import { type EventPayload, PAGEVIEW } from "../schemas/events.js";
import { normaliseDomain } from "../schemas/sites.js";
import { localDay } from "../stats/dates.js";
import { acquisitionOf } from "./referrer.js";
import { dailySalt, lockVisitor, newSessionId, visitorId } from "./salts.js";
import { parseUserAgent } from "./user-agent.js";

export interface RequestMeta {
  ip: string;
  userAgent: string;
  /** ISO 3166 alpha-2 from the trusted proxy header; "" when unknown. */
  country: string;
  now?: Date;
}

export type IngestResult = { accepted: true } | { accepted: false; reason: "bot" };

/** A visit ends after 30 minutes without events, as in Plausible and Google Analytics. */
export const VISIT_IDLE_MS = 30 * 60_000;

/** Dimensions fixed by a visit's first event and copied onto each of its events. */
type VisitDims = Pick<VisitsTable, "entry_page" | "referrer_source" | "referrer" | "utm_source" | "utm_medium" | "utm_campaign" | "country" | "device" | "browser" | "os">;

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

/**
 * Records one event: the visitor is identified without cookies, the event joins the visitor's
 * open visit or starts one, and the event and its visit are written in one transaction.
 */
export async function ingestEvent(db: Db, payload: EventPayload, meta: RequestMeta): Promise<IngestResult> {
  if (!meta.userAgent || isbot(meta.userAgent)) return { accepted: false, reason: "bot" };
  const site = await db
    .selectFrom("sites")
    .select(["id", "domain", "timezone"])
    .where("domain", "=", normaliseDomain(payload.domain))
    .executeTakeFirst();
  if (!site) throw new NotFound("Unknown site domain", "domain");

  const now = meta.now ?? new Date();
  const url = new URL(payload.url);
  const pathname = pathnameOf(url);
  const pageview = payload.name === PAGEVIEW;
  const day = localDay(now, site.timezone);
  const visitor = visitorId(await dailySalt(db, day), site.id, meta.ip, meta.userAgent);
  const firstEvent: VisitDims = {
    entry_page: pathname,
    ...acquisitionOf(url, payload.referrer, site.domain),
    country: /^[A-Z]{2}$/.test(meta.country) ? meta.country : "",
    ...parseUserAgent(meta.userAgent),
  };

  await db.transaction().execute(async (trx) => {
    await lockVisitor(trx, visitor);
    const open = await trx
      .selectFrom("visits")
      .selectAll()
      .where("site_id", "=", site.id)
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
        .where("site_id", "=", site.id)
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
          site_id: site.id,
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
        site_id: site.id,
        ts: now,
        day,
        name: payload.name,
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
        props: propsOf(payload),
      })
      .execute();
  });
  return { accepted: true };
}

/**
 * Custom properties as text ({"plan": "pro", "seats": "5"}), the way goal breakdowns show and
 * filter them; properties sent as null are left out, and an event without any stores null.
 */
function propsOf(payload: EventPayload) {
  const entries = Object.entries(payload.props ?? {}).filter((entry): entry is [string, string | number | boolean] => entry[1] !== null);
  return entries.length ? jsonb(Object.fromEntries(entries.map(([key, value]) => [key, String(value)]))) : null;
}
