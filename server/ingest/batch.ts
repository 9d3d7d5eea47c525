import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { json } from "../../db/json.js";
import { invalidateStats } from "../stats/cache.js";
import { settledDay } from "../dates.js";
import { type PreparedEvent, VISIT_IDLE_MS } from "./model.js";
import { lockVisitors } from "./salts.js";
import { placeEvents, type Visit, visitKey } from "./visits.js";

const VISIT_COLUMNS = sql.raw(
  "site_id, session_id, visitor_id, day, started_at, ended_at, pageviews, events, entry_page, exit_page, referrer_source, referrer, utm_source, utm_medium, utm_campaign, country, device, browser, os",
);
const EVENT_COLUMNS = sql.raw(
  "site_id, ts, day, name, pathname, visitor_id, session_id, entry_page, referrer_source, referrer, utm_source, utm_medium, utm_campaign, country, device, browser, os, props",
);

/**
 * Writes a batch of accepted events and their visits in one transaction, so a batch is seen
 * whole or not at all. Under the visitors' locks, their open visits are read, the events are
 * placed into visits in the order they came (./visits.ts), and the new visits, the extended
 * ones and the events are written with one statement each. Returns how many events were written:
 * those of sites deleted since their events were accepted are left out, as the delete would have
 * removed them.
 */
export async function writeBatch(db: Db, events: readonly PreparedEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    const siteIds = [...new Set(events.map((e) => e.siteId))];
    // FOR KEY SHARE: a site cannot be deleted between this check and the commit.
    const { rows: live } = await sql<{ id: string }>`
      select id from sites where id in (select value::uuid from json_array_elements_text(${json(siteIds)})) for key share`.execute(trx);
    const liveIds = new Set(live.map((row) => row.id));
    const kept = liveIds.size === siteIds.length ? events : events.filter((e) => liveIds.has(e.siteId));
    if (kept.length === 0) return 0;

    await lockVisitors(trx, kept.map((e) => e.visitorId));
    const { created, changed, rows } = placeEvents(kept, await storedVisits(trx, kept));
    if (created.length) {
      await sql`insert into visits (${VISIT_COLUMNS}) select ${VISIT_COLUMNS} from json_populate_recordset(null::visits, ${json(created)})`.execute(trx);
    }
    if (changed.length) {
      await sql`
        update visits v
        set started_at = x.started_at, ended_at = x.ended_at, pageviews = x.pageviews, events = x.events, exit_page = x.exit_page
        from json_populate_recordset(null::visits, ${json(changed)}) x
        where v.site_id = x.site_id and v.session_id = x.session_id`.execute(trx);
    }
    await sql`insert into events (${EVENT_COLUMNS}) select ${EVENT_COLUMNS} from json_populate_recordset(null::events, ${json(rows)})`.execute(trx);
    // Stats treat a day as final five minutes after it ends. Events held past that (the database
    // was away over midnight) change a final day: its cached figures and copies are rebuilt.
    for (const siteId of new Set(kept.filter((e) => e.day < settledDay(e.timezone)).map((e) => e.siteId))) await invalidateStats(trx, siteId);
    return kept.length;
  });
}

/** Each visitor's stored visits that an event of the batch could join: same day, ended at most 30 minutes before its earliest event. */
async function storedVisits(db: Db, events: readonly PreparedEvent[]): Promise<Visit[]> {
  const earliest = new Map<string, { site_id: string; visitor_id: number; day: string; since: number }>();
  for (const e of events) {
    const key = visitKey(e.siteId, e.visitorId, e.day);
    const at = e.ts.getTime();
    const seen = earliest.get(key);
    if (!seen) earliest.set(key, { site_id: e.siteId, visitor_id: e.visitorId, day: e.day, since: at });
    else if (at < seen.since) seen.since = at;
  }
  const keys = [...earliest.values()].map((k) => ({ ...k, since: new Date(k.since - VISIT_IDLE_MS) }));
  const { rows } = await sql<Visit>`
    select v.* from visits v
    join json_to_recordset(${json(keys)}) as k(site_id uuid, visitor_id bigint, day date, since timestamptz)
      on v.site_id = k.site_id and v.visitor_id = k.visitor_id and v.day = k.day and v.ended_at >= k.since`.execute(db);
  return rows;
}
