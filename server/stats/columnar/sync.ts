/** Copying a site's finished days into the column store, with the flags that make distinct counts sums. */
import { sql } from "kysely";
import type { Db } from "../../../db/client.js";
import { addDays, daysBetween, settledDay } from "../../dates.js";
import type { Columnar } from "./duckdb.js";
import { addPaths, between, createStage, DIMENSIONS, dropStage, EVENT_TYPES, eventRows, LISTS, listsOf, type SyncSite, VISIT_TYPES, visitRows, windows } from "./rows.js";
import { daySizes } from "../day-sizes.js";

export { DIMENSIONS, type SyncSite };

/** Days and events copied per transaction, at most: the flags are computed over a chunk in memory. */
const MAX_DAYS_PER_CHUNK = 31;
const MAX_EVENTS_PER_CHUNK = 100_000;

const ALL_FIRSTS = (1 << (DIMENSIONS.length + 1)) - 1;

export interface SyncState {
  /** Every day before this one is in the copy; null when nothing is. */
  through: string | null;
  version: number;
}

/** The first day that may still change (days before it are final). */
export const unsettledFrom = (site: SyncSite, now: Date) => settledDay(site.timezone, now);

/** `kept`: as a lookup kept until the copy is next written (for views; a sync reads it afresh). */
export async function syncState(columnar: Columnar, siteId: string, kept = false): Promise<SyncState | null> {
  const sql = `select strftime(through, '%Y-%m-%d') as through, version from synced where site_id = $1`;
  const rows = await (kept ? columnar.lookup(sql, [siteId]) : columnar.query(sql, [siteId]));
  return rows[0] ? { through: (rows[0].through as string | null) ?? null, version: Number(rows[0].version) } : null;
}

export async function forgetSite(columnar: Columnar, siteId: string): Promise<void> {
  await columnar.transaction(async (c) => {
    for (const table of ["visits", "events", "day_values", "paths", "synced"]) await c.run(`delete from ${table} where site_id = $1`, [siteId]);
  });
}

/**
 * True when the copy holds as many visits and events of the site's copied days as the tables do.
 * A file that outlived its database (a restored backup, another database behind the same URL)
 * fails this at start and is copied again.
 */
export async function copyMatches(columnar: Columnar, db: Db, siteId: string): Promise<boolean> {
  const state = await syncState(columnar, siteId);
  if (!state?.through) return true;
  const [copy] = await columnar.query(
    `select (select count(*) from visits where site_id = $1 and day < $2::date)::double as visits,
      (select count(*) from events where site_id = $1 and day < $2::date)::double as events`,
    [siteId, state.through],
  );
  const { rows } = await sql<{ visits: number; events: number }>`
    select (select count(*) from visits where site_id = ${siteId} and day < ${state.through})::int8 as visits,
      (select count(*) from events where site_id = ${siteId} and day < ${state.through})::int8 as events`.execute(db);
  return Number(copy?.visits) === Number(rows[0]?.visits) && Number(copy?.events) === Number(rows[0]?.events);
}

/**
 * Brings the copy of one site up to its last finished day: a site whose stats version changed is
 * copied again from the start. Each chunk of days lands in one transaction together with the new
 * `through`, so a reader sees a day completely or not at all, and an interrupted sync (a shutdown
 * asks it to stop between chunks) resumes where it stopped. True when it changed the site's rows.
 */
export async function syncSite(columnar: Columnar, db: Db, site: SyncSite, now: Date, stopping: () => boolean = () => false, forget = forgetSite): Promise<boolean> {
  const row = await db.selectFrom("sites").select(["stats_version"]).where("id", "=", site.id).executeTakeFirst();
  if (!row) {
    await forget(columnar, site.id);
    return true;
  }
  let state = await syncState(columnar, site.id);
  if (state && state.version !== row.stats_version) {
    await forget(columnar, site.id);
    state = null;
  }
  const until = unsettledFrom(site, now);
  let from = state?.through ?? null;
  if (from === null) {
    const first = await db.selectFrom("visits").select((eb) => eb.fn.min("day").as("day")).where("site_id", "=", site.id).executeTakeFirst();
    from = (first?.day as string | null) ?? until;
  }
  if (from >= until) {
    if (!state) await saveState(columnar, site.id, { through: from, version: row.stats_version });
    return !state;
  }
  const sizes = await daySizes(db, site.id, from, addDays(until, -1));
  let start = from;
  let held = state?.through ?? null;
  while (start < until && !stopping()) {
    let end = start;
    let events = sizes.get(start) ?? 0;
    while (addDays(end, 1) < until && daysBetween(start, addDays(end, 1)) <= MAX_DAYS_PER_CHUNK && events + (sizes.get(addDays(end, 1)) ?? 0) <= MAX_EVENTS_PER_CHUNK) {
      end = addDays(end, 1);
      events += sizes.get(end) ?? 0;
    }
    await copyDays(columnar, db, site, { from: start, to: end, held }, events, row.stats_version);
    start = held = addDays(end, 1);
  }
  return true;
}

async function saveState(target: { run(sql: string, values: (string | number)[]): Promise<unknown> }, siteId: string, state: { through: string; version: number }) {
  await target.run(`insert or replace into synced values ($1, $2::date, $3)`, [siteId, state.through, state.version]);
}

/**
 * Codes of `day_values.g`: a visit dimension's index in DIMENSIONS, or one of these. A day's totals
 * and its pageviews carry the day as their value.
 */
export const DAY_TOTALS = -1;
export const DAY_PAGEVIEWS = -3;
export const PAGES = -4;

/** Without filters every visit counts, so the flags give each value's visitors as plain counts. */
const dayValuesInsert = (() => {
  const visits = `from visits where site_id = $1 and day between $2::date and $3::date`;
  const pageviews = `from events where site_id = $1 and day between $2::date and $3::date and name = 'pageview'`;
  return `insert into day_values
    select $1, day, ${DAY_TOTALS}, strftime(day, '%Y-%m-%d'), count(*) filter (where firsts & 1 <> 0), count(*),
      count(*) filter (where pageviews <= 1), coalesce(sum(duration), 0) ${visits} group by day
    ${DIMENSIONS.map((d, i) => `union all select $1, day, ${i}, ${d}, count(*) filter (where firsts & ${1 << (i + 1)} <> 0), count(*), 0, 0 ${visits} group by day, ${d}`).join("\n    ")}
    union all select $1, day, ${DAY_PAGEVIEWS}, strftime(day, '%Y-%m-%d'), 0, count(*), 0, 0 ${pageviews} group by day
    union all select $1, day, ${PAGES}, pathname, count(*) filter (where first_of_day), count(*), 0, 0 ${pageviews} group by day, pathname`;
})();

/**
 * `held`: the `through` the copy said it had when this sync began (or its last chunk landed). A
 * copy that says otherwise now is not the one read (its process was started again, and an
 * in-memory copy starts empty): the chunk is not written, or the copy would claim days it lacks.
 */
async function copyDays(columnar: Columnar, db: Db, site: SyncSite, days: { from: string; to: string; held: string | null }, events: number, version: number) {
  const { from, to } = days;
  const cuts = windows(site, from, to, events);
  await columnar.transaction(async (c) => {
    const [state] = await c.query(`select strftime(through, '%Y-%m-%d') as through from synced where site_id = $1`, [site.id]);
    if (((state?.through as string | null | undefined) ?? null) !== days.held) throw new Error("The copy changed while it was being synced (its process was started again)");
    await createStage(c);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [after, before] = [cuts[i]!, cuts[i + 1]!];
      const days = sql`day between ${from} and ${to}`;
      await c.append("stage_visits", VISIT_TYPES, await visitRows(db, site.id, sql`${days} ${between("started_at", after, before)}`));
      await c.append("stage_events", EVENT_TYPES, await eventRows(db, site.id, sql`${days} ${between("ts", after, before)}`));
    }
    const range = [site.id, from, to];
    await c.run(`delete from visits where site_id = $1 and day between $2::date and $3::date`, range);
    await c.run(`delete from events where site_id = $1 and day between $2::date and $3::date`, range);
    // A single-visit visitor's one visit is the first of everything; only the others are ranked.
    const first = (partition: string) => `(row_number() over (partition by day, visitor_id${partition} order by started_at, session_id) = 1)::integer`;
    await c.run(addPaths("stage_events"), [site.id]);
    // The lists are gathered apart and joined to the flagged rows last: carried through the
    // rankings, they took a 10M-event site's busiest day past the column store's 96 MB.
    await c.run(`create or replace temp table stage_lists as ${listsOf("stage_events")}`, [site.id]);
    await c.run(`
      insert into visits by name
      with counted as (select *, count(*) over (partition by day, visitor_id) > 1 as multi from stage_visits),
      flagged as (
        select *, ${ALL_FIRSTS} as firsts from counted where not multi
        union all
        select *, ${first("")} + ${DIMENSIONS.map((d, i) => `${first(`, ${d}`)} * ${1 << (i + 1)}`).join(" + ")} from counted where multi)
      select f.*, ${LISTS} from flagged f left join stage_lists l using (session_id)`);
    await c.run(`drop table stage_lists`);
    // A visit's events share its day and visitor, so the flag carries over by session. The views
    // are ranked on the few columns that decide it, so a big day's ranking fits in memory.
    await c.run(`
      insert into events
      with ranked as (
        select rowid as r,
          row_number() over (partition by session_id, pathname order by ts) = 1 as first_view,
          row_number() over (partition by day, visitor_id, pathname order by ts) = 1 as first_of_day
        from stage_events where name = 'pageview')
      select e.*, coalesce(v.multi, false), coalesce(ranked.first_view, false), coalesce(ranked.first_of_day, false)
      from stage_events e
        left join ranked on ranked.r = e.rowid
        left join (select session_id, multi from visits where site_id = $1 and day between $2::date and $3::date) v using (session_id)`, range);
    await c.run(`delete from day_values where site_id = $1 and day between $2::date and $3::date`, range);
    await c.run(dayValuesInsert, range);
    await dropStage(c);
    await saveState(c, site.id, { through: addDays(to, 1), version });
  });
}
