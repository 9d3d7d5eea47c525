import type { Db } from "../../db/client.js";
import { jsonb } from "../../db/json.js";
import type { EventPayload } from "../schemas/events.js";
import { eventBuffer } from "./buffer.js";
import { type IngestResult, type RequestMeta, VISIT_IDLE_MS, type VisitDims } from "./model.js";
import { prepareEvent } from "./pipeline.js";
import { lockVisitor, newSessionId } from "./salts.js";

export { prepareEvent };

/**
 * An event checked (./pipeline.ts, steps 4 to 8) and held in this process's buffer, without the
 * limits: for tools and tests that send many events from one address. POST /api/event goes
 * through the whole pipeline. Accepted means buffered; a full buffer refuses with Unavailable.
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
