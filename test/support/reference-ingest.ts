import type { Db } from "../../db/client.js";
import { jsonb } from "../../db/json.js";
import { prepareEvent } from "../../server/ingest/pipeline.js";
import { type IngestResult, type RequestMeta, VISIT_IDLE_MS, type VisitDims } from "../../server/ingest/model.js";
import { lockVisitors, newSessionId } from "../../server/ingest/salts.js";
import type { EventPayload } from "../../server/schemas/events.js";
import { servicesFor } from "./services.js";

/**
 * Records one event in a transaction of its own: the visitor is locked, the event joins the
 * visitor's open visit or starts one, and the event and its visit are written together.
 * This was the ingestion path before batching; it stays, for tests only, as the reference the
 * batched path (server/ingest/batch.ts) is proven against.
 */
export async function ingestEvent(db: Db, payload: EventPayload, meta: RequestMeta): Promise<IngestResult> {
  const event = await prepareEvent(servicesFor(db), payload, meta);
  if (!event) return { accepted: false, reason: "bot" };
  const { siteId, ts: now, day, pathname, pageview, firstEvent } = event;
  const visitor = event.visitorId;

  await db.transaction().execute(async (trx) => {
    await lockVisitors(trx, [visitor]);
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
