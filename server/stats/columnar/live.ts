import { sql } from "kysely";
import type { Db } from "../../../db/client.js";
import { zonedTime } from "../../dates.js";
import type { Columnar } from "./duckdb.js";
import { addPaths, between, createStage, cutsBetween, dropStage, EVENT_TYPES, eventRows, LISTS, listsOf, ROWS_PER_READ, type SyncSite, VISIT_TYPES, visitRows } from "./rows.js";

/**
 * Days from `through` on (today, and yesterday while it settles) are not final, so they have no
 * flags: they are kept as plain rows, every one marked as if its visitor had several visits, so
 * that every count over them is a distinct count. A refresh reads, from one snapshot, the events
 * stamped since the newest one the copy holds and the visits those events belong to (a visit only
 * changes with an event). The copy then holds exactly as many events as the snapshot counted, or
 * the refresh is rolled back and tried again further back:
 *
 *   1. from the newest stamp the copy holds: enough while events are committed in about the
 *      order they were stamped (one instance's buffer, most of the time);
 *   2. from an overlap before it, for events committed after newer ones (another instance's
 *      buffer written a moment later, an event that entered the buffer just after a write began,
 *      a buffer behind a flood): a minute, or the flush interval and a write if longer;
 *   3. the days whole (a database outage's backlog, a clock far behind).
 *
 * Each refresh reads again what it starts from, so the first try starts as late as it can: on a
 * site taking 1,000 events a second, a refresh that always read a minute back took over a second
 * for every view of today. The second keeps the minute: a buffer behind a flood of large events
 * commits some tens of seconds after their stamps, and a narrower window then read the days whole.
 */
const WRITE_MS = 10_000;
const MIN_OVERLAP_MS = 60_000;

/** How far back the second try reads, for ingest buffers that write every `flushMs`. */
export function liveOverlapMs(flushMs: number): number {
  return Math.max(MIN_OVERLAP_MS, flushMs + WRITE_MS);
}

export interface LiveRefresh {
  /** The site's events from `through` on, in the snapshot the rows were read from. */
  events: number;
  /** The newest event's stamp (ms) in that snapshot. */
  newest: number;
}

/** The site's events from `through` on: when it has not moved since a refresh, nothing was added. */
export async function liveEventCount(db: Db, siteId: string, through: string): Promise<number> {
  const row = await db.selectFrom("events").select((eb) => eb.fn.countAll().as("n")).where("site_id", "=", siteId).where("day", ">=", through).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function refreshLive(columnar: Columnar, db: Db, site: SyncSite, through: string, since: LiveRefresh | null, overlapMs: number): Promise<LiveRefresh> {
  for (const from of since ? [since.newest, since.newest - overlapMs] : []) {
    const result = await applyLive(columnar, db, site, through, new Date(from));
    if (result) return result;
  }
  return (await applyLive(columnar, db, site, through, null))!;
}

/**
 * Reads, in one snapshot and in windows of about ROWS_PER_READ events (a busy day never sits in
 * the heap at once), the events stamped from `cutoff` on and the visits that ended from then on
 * (an event moves its visit's end to at least its own stamp), or with no cutoff, everything from
 * `through` on. Null when the copy then does not hold the snapshot's count of events.
 */
async function applyLive(columnar: Columnar, db: Db, site: SyncSite, through: string, cutoff: Date | null): Promise<LiveRefresh | null> {
  const days = sql`day >= ${through}`;
  return db
    .transaction()
    .setIsolationLevel("repeatable read")
    .execute(async (trx) => {
      const { rows } = await sql<{ n: number; newest: Date | null; recent: number }>`
        select count(*)::int8 as n, max(ts) as newest, count(*) filter (where ${cutoff ? sql`ts >= ${cutoff}` : sql`true`})::int8 as recent
        from events where site_id = ${site.id} and ${days}`.execute(trx);
      const count = Number(rows[0]?.n ?? 0);
      const newest = rows[0]?.newest ? new Date(rows[0].newest).getTime() : 0;
      const start = cutoff ? cutoff.getTime() : zonedTime(through, site.timezone).getTime();
      const cuts = cutsBetween(start, Math.max(start, newest), Math.max(1, Math.ceil(Number(rows[0]?.recent ?? 0) / ROWS_PER_READ)));
      return columnar
        .transaction(async (c) => {
          await createStage(c);
          for (let i = 0; i + 1 < cuts.length; i++) {
            const [after, before] = [cuts[i]!, cuts[i + 1]!];
            const events = cutoff ? sql`${days} and ts >= ${cutoff} ${between("ts", after, before)}` : sql`${days} ${between("ts", after, before)}`;
            await c.append("stage_events", EVENT_TYPES, await eventRows(trx, site.id, events));
            const visits = cutoff ? sql`${days} and ended_at >= ${cutoff} ${between("ended_at", after, before)}` : sql`${days} ${between("started_at", after, before)}`;
            await c.append("stage_visits", VISIT_TYPES, await visitRows(trx, site.id, visits));
          }
          const range = [site.id, through];
          if (cutoff) {
            await c.run(`delete from visits where site_id = $1 and day >= $2::date and session_id in (select session_id from stage_visits)`, range);
            await c.run(`delete from events where site_id = $1 and day >= $2::date and ts >= $3::timestamptz`, [...range, cutoff.toISOString()]);
          } else {
            await c.run(`delete from visits where site_id = $1 and day >= $2::date`, range);
            await c.run(`delete from events where site_id = $1 and day >= $2::date`, range);
          }
          await c.run(`insert into events select *, true, true, true from stage_events`);
          await c.run(addPaths("stage_events"), [site.id]);
          // A visit's lists come from all its events in the copy: those read now and those before the cutoff.
          await c.run(
            `insert into visits by name select s.*, true as multi, 0 as firsts, ${LISTS} from stage_visits s
            left join (${listsOf("events", "e.site_id = $1 and e.day >= $2::date and e.session_id in (select session_id from stage_visits)")}) l using (session_id)`,
            range,
          );
          await dropStage(c);
          const [held] = await c.query(`select count(*)::double as n from events where site_id = $1 and day >= $2::date`, range);
          // Rolled back: the copy keeps what it had, and the caller reads the days whole.
          if (Number(held?.n) !== count) throw new LiveMismatch();
          return { events: count, newest };
        })
        .catch((error) => {
          if (error instanceof LiveMismatch && cutoff) return null;
          throw error;
        });
    });
}

class LiveMismatch extends Error {
  constructor() {
    super("The copy's rows of unfinished days do not match the tables");
  }
}
