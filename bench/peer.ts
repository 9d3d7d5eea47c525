// The peer: Umami's dashboard SQL for PostgreSQL, rewritten for our tables.
//
// Credit: the query shapes are Umami's (https://github.com/umami-software/umami, MIT licence):
// src/queries/sql/getWebsiteStats.ts, pageviews/getPageviewStats.ts, sessions/getSessionStats.ts,
// pageviews/getPageviewMetrics.ts and sessions/getSessionMetrics.ts, as described in
// ../shared/PEER-QUERIES.md. This is a fair port, not Umami's code: the same logic over raw
// events at request time, grouped per visit, with exact distinct counts and a primary-key join
// to the per-session table for session attributes.
//
// Mapping: website_event → events; Umami's session_id (visitor) → visitor_id; visit_id → our
// session_id (one visit); the session table → visits (our per-visit row carrying device,
// browser, os, country), joined on its primary key (site_id, session_id). event_type NOT IN
// (2, 5) → name = 'pageview' (our only other events are custom events). No rollups, no cache.
import { type RawBuilder, sql } from "kysely";
import type { Db } from "../db/client.js";
import type { Filter } from "../server/schemas/filters.js";

export interface PeerScope {
  siteId: string;
  domain: string;
  timezone: string;
  start: Date;
  end: Date;
  /** Session-attribute filters only (device, browser, os, country), as a segment uses them. */
  filters: Filter[];
}

const SESSION_COLUMNS = new Set(["device", "browser", "os", "country"]);

/** Umami's getFilterQuery for eq filters on session columns (`session.x = ANY(array)`). */
function filterQuery(scope: PeerScope): RawBuilder<unknown> {
  const parts = scope.filters.map((f) => {
    if (!SESSION_COLUMNS.has(f.dimension) || f.operator !== "is") throw new Error(`peer port supports session eq filters only, not ${f.dimension} ${f.operator}`);
    // IN (list) is how Postgres itself rewrites = ANY(ARRAY[...]); both drivers bind it the same.
    return sql`and s.${sql.ref(f.dimension)} in (${sql.join(f.values.map((v) => sql`${v}`))})`;
  });
  return sql.join(parts, sql` `);
}

/** The session join happens only when a session filter or a session dimension needs it. */
function joinSession(needed: boolean): RawBuilder<unknown> {
  return needed ? sql`inner join visits s on s.session_id = e.session_id and s.site_id = e.site_id` : sql``;
}

/** The common WHERE clause of every Umami dashboard query. */
function where(scope: PeerScope): RawBuilder<unknown> {
  return sql`e.site_id = ${scope.siteId} and e.ts between ${scope.start} and ${scope.end} and e.name = 'pageview' ${filterQuery(scope)}`;
}

/** getWebsiteStats: per-visit groups, then pageviews, exact visitors and visits, bounces, time. */
export function websiteStats(db: Db, scope: PeerScope) {
  return sql`
    select sum(t.c)::int8 as pageviews, count(distinct t.visitor_id)::int8 as visitors,
      count(distinct t.session_id)::int8 as visits, sum(case when t.c = 1 then 1 else 0 end)::int8 as bounces,
      sum(floor(extract(epoch from (t.max_time - t.min_time))))::int8 as totaltime
    from (
      select e.visitor_id, e.session_id, count(*) as c, min(e.ts) as min_time, max(e.ts) as max_time
      from events e ${joinSession(scope.filters.length > 0)}
      where ${where(scope)}
      group by 1, 2
    ) t`.execute(db);
}

/** getPageviewStats and getSessionStats with unit = day in the site's time zone; the UI runs both. */
export function series(db: Db, scope: PeerScope) {
  const bucket = sql`to_char(date_trunc('day', e.ts at time zone ${scope.timezone}), 'YYYY-MM-DD HH24:MI:SS')`;
  const join = joinSession(scope.filters.length > 0);
  return Promise.all([
    sql`select ${bucket} as x, count(*)::int8 as y from events e ${join} where ${where(scope)} group by 1 order by 1`.execute(db),
    sql`select ${bucket} as x, count(distinct e.visitor_id)::int8 as y from events e ${join} where ${where(scope)} group by 1 order by 1`.execute(db),
  ]);
}

/** getPageviewMetrics for an event column: visitors per value, empty values dropped, top 500. */
function pageviewMetric(db: Db, scope: PeerScope, column: string) {
  const selfReferral = column === "referrer" ? sql`and e.referrer <> ${scope.domain}` : sql``;
  return sql`
    select e.${sql.ref(column)} as x, count(distinct e.visitor_id)::int8 as y
    from events e ${joinSession(scope.filters.length > 0)}
    where ${where(scope)} and e.${sql.ref(column)} <> '' ${selfReferral}
    group by 1 order by 2 desc limit 500 offset 0`.execute(db);
}

/** getPageviewMetrics type=entry: the visit's first path (DISTINCT ON visit, unfiltered), joined back. */
function entryMetric(db: Db, scope: PeerScope) {
  return sql`
    select x.pathname as x, count(distinct e.visitor_id)::int8 as y
    from events e ${joinSession(scope.filters.length > 0)}
    join (
      select distinct on (f.session_id) f.session_id, f.pathname from events f
      where f.site_id = ${scope.siteId} and f.ts between ${scope.start} and ${scope.end} and f.name = 'pageview'
      order by f.session_id, f.ts
    ) x on x.session_id = e.session_id
    where ${where(scope)}
    group by 1 order by 2 desc limit 500 offset 0`.execute(db);
}

/** getSessionMetrics: always joins the session table and groups by its attribute. */
function sessionMetric(db: Db, scope: PeerScope, column: string) {
  return sql`
    select s.${sql.ref(column)} as x, count(distinct e.visitor_id)::int8 as y
    from events e ${joinSession(true)}
    where ${where(scope)}
    group by 1 order by 2 desc limit 500 offset 0`.execute(db);
}

/** One metrics request per dashboard panel, for the same panels our dashboard shows. */
export function metrics(db: Db, scope: PeerScope) {
  return Promise.all([
    pageviewMetric(db, scope, "pathname"),
    entryMetric(db, scope),
    ...["referrer_source", "referrer", "utm_source", "utm_medium", "utm_campaign"].map((c) => pageviewMetric(db, scope, c)),
    ...["country", "device", "browser", "os"].map((c) => sessionMetric(db, scope, c)),
  ]);
}

/** What Umami's dashboard asks for on load, concurrently as its browser does: stats (current and previous window), both series, the panels. */
export function dashboard(db: Db, scope: PeerScope) {
  const length = scope.end.getTime() - scope.start.getTime();
  const previous = { ...scope, start: new Date(scope.start.getTime() - length), end: new Date(scope.start.getTime() - 1) };
  return Promise.all([websiteStats(db, scope), websiteStats(db, previous), series(db, scope), metrics(db, scope)]);
}
