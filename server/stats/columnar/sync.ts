import { type RawBuilder, sql } from "kysely";
import type { Db } from "../../../db/client.js";
import { durationMs } from "../aggregate.js";
import { addDays, daysBetween, settledDay, zonedTime } from "../../dates.js";
import { VISIT_COLUMNS } from "../filters.js";
import type { ColumnType, Columnar, ColumnarTransaction } from "./duckdb.js";

/** Rows read from the tables per round trip: bounded, so a big day never sits in the heap at once. */
const ROWS_PER_READ = 20_000;
/** Days and events copied per transaction, at most: the flags are computed over a chunk in memory. */
const MAX_DAYS_PER_CHUNK = 31;
const MAX_EVENTS_PER_CHUNK = 100_000;

/** The visit dimensions' columns, in the order of their bits in `visits.firsts`. */
export const DIMENSIONS = Object.values(VISIT_COLUMNS);
const ALL_FIRSTS = (1 << (DIMENSIONS.length + 1)) - 1;

export interface SyncState {
  /** Every day before this one is in the copy; null when nothing is. */
  through: string | null;
  version: number;
}

export interface SyncSite {
  id: string;
  timezone: string;
}

/** The first day that may still change (days before it are final). */
export const unsettledFrom = (site: SyncSite, now: Date) => settledDay(site.timezone, now);

export async function syncState(columnar: Columnar, siteId: string): Promise<SyncState | null> {
  const rows = await columnar.query(`select strftime(through, '%Y-%m-%d') as through, version from synced where site_id = $1`, [siteId]);
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

/** Events per day from the visits (one small row per visit), to size the chunks. */
async function daySizes(db: Db, siteId: string, from: string, to: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("visits")
    .select((eb) => ["day", eb.fn.sum<number>("events").as("events")])
    .where("site_id", "=", siteId)
    .where("day", ">=", from)
    .where("day", "<=", to)
    .groupBy("day")
    .execute();
  return new Map(rows.map((r) => [r.day, Number(r.events)]));
}

/** Instants splitting the days into windows of about ROWS_PER_READ events; the ends are open. */
function windows(site: SyncSite, from: string, to: string, events: number): (Date | null)[] {
  return cutsBetween(zonedTime(from, site.timezone).getTime(), zonedTime(addDays(to, 1), site.timezone).getTime(), Math.max(1, Math.ceil(events / ROWS_PER_READ)));
}

/** Instants cutting [start, end] into `parts` windows; the ends stay open, so nothing falls outside. */
function cutsBetween(start: number, end: number, parts: number): (Date | null)[] {
  const cuts: (Date | null)[] = [null];
  for (let i = 1; i < parts; i++) cuts.push(new Date(start + ((end - start) * i) / parts));
  cuts.push(null);
  return cuts;
}

const between = (column: string, after: Date | null, before: Date | null) =>
  sql`${after ? sql`and ${sql.ref(column)} >= ${after}` : sql``} ${before ? sql`and ${sql.ref(column)} < ${before}` : sql``}`;

/** Empty tables, on the transaction's own connection, that a chunk's rows are appended to before their flags are known. */
async function createStage(c: ColumnarTransaction) {
  await c.run(`create or replace temp table stage_visits as select * exclude (multi, firsts, pages, names) from visits limit 0`);
  await c.run(`create or replace temp table stage_events as select * exclude (multi, first_view, first_of_day) from events limit 0`);
}

async function dropStage(c: ColumnarTransaction) {
  await c.run(`drop table stage_visits`);
  await c.run(`drop table stage_events`);
}

const VISIT_TYPES: ColumnType[] = ["varchar", "date", "bigint", "bigint", "timestamptz", "bigint", "integer", ...DIMENSIONS.map((): ColumnType => "varchar")];
const EVENT_TYPES: ColumnType[] = ["varchar", "date", "timestamptz", "varchar", "varchar", "bigint", "bigint", ...DIMENSIONS.map((): ColumnType => "varchar")];

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
 * New paths of a table of events join the site's dictionary (parameter $1: the site). Only the
 * site's own sync or refresh writes them, one at a time (they run serially per site).
 */
const addPaths = (events: string) => `
  insert into paths select $1, pathname, coalesce((select max(id) from paths where site_id = $1), 0) + row_number() over (order by pathname)
  from (select distinct pathname from ${events} where name = 'pageview' and pathname is not null) n
  where not exists (select 1 from paths p where p.site_id = $1 and p.pathname = n.pathname)`;

/** Each visit's pageview path ids and other events' names, by session, from a table of events ($1: the site). */
const listsOf = (events: string, where = "true") => `
  select e.session_id, list(p.id) filter (where e.name = 'pageview') as pages, list(e.name) filter (where e.name <> 'pageview') as names
  from ${events} e left join paths p on p.site_id = $1 and p.pathname = e.pathname where ${where} group by e.session_id`;
const LISTS = `coalesce(l.pages, []::integer[]) as pages, coalesce(l.names, []::varchar[]) as names`;

/** The source's visits of a site matching `where`, as rows for the stage table. */
async function visitRows(db: Db, siteId: string, where: RawBuilder<unknown>): Promise<unknown[][]> {
  const { rows } = await sql<Record<string, unknown>>`
    select session_id, visitor_id, day, started_at, ${durationMs("visits")} as duration, pageviews,
      ${sql.join(DIMENSIONS.map((d) => sql.ref(d)))}
    from visits where site_id = ${siteId} and ${where}`.execute(db);
  return rows.map((v) => [siteId, v.day, v.session_id, v.visitor_id, v.started_at, Number(v.duration), v.pageviews, ...DIMENSIONS.map((d) => v[d])]);
}

async function eventRows(db: Db, siteId: string, where: RawBuilder<unknown>): Promise<unknown[][]> {
  const { rows } = await sql<Record<string, unknown>>`
    select day, ts, name, pathname, visitor_id, session_id, ${sql.join(DIMENSIONS.map((d) => sql.ref(d)))}
    from events where site_id = ${siteId} and ${where}`.execute(db);
  return rows.map((e) => [siteId, e.day, e.ts, e.name, e.pathname, e.visitor_id, e.session_id, ...DIMENSIONS.map((d) => e[d])]);
}

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

/**
 * Days from `through` on (today, and yesterday while it settles) are not final, so they have no
 * flags: they are kept as plain rows, every one marked as if its visitor had several visits, so
 * that every count over them is a distinct count. A refresh reads, from one snapshot, the events
 * stamped since the last one (with an overlap for events committed a little after they were
 * stamped) and the visits those events belong to (a visit only changes with an event). The copy
 * then holds exactly as many events as the snapshot counted, or the days are read whole again.
 */
export const LIVE_OVERLAP_MS = 60_000;

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

export async function refreshLive(columnar: Columnar, db: Db, site: SyncSite, through: string, since: LiveRefresh | null): Promise<LiveRefresh> {
  const result = since ? await applyLive(columnar, db, site, through, new Date(since.newest - LIVE_OVERLAP_MS)) : null;
  // An event stamped before the overlap (a clock far behind) is caught here: the days are read whole.
  return result ?? (await applyLive(columnar, db, site, through, null))!;
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
