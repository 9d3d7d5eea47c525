import { type RawBuilder, sql } from "kysely";
import { strToU8, Zip, ZipDeflate } from "fflate";
import type { Db } from "../../db/client.js";
import { addDays, localDay } from "../dates.js";
import { durationMs } from "../stats/aggregate.js";
import { SHAPES, TABLES, type TableName } from "./tables.js";

/**
 * A site's own data as Plausible's ten CSV tables, one row per day and value, in one zip: what
 * Plausible (or another Glimpse) imports. Each table groups the day's visits (or events) by its
 * columns and counts them the way dashboards do — visitors per day, visits, bounces (visits of at
 * most one pageview), visit duration in seconds, pageviews — so a breakdown by one column sums
 * back to the dashboard's figure. Written a month at a time into a streaming zip: the memory it
 * takes is one month of one table, whatever the site's size.
 */
export interface ExportRange {
  from: string;
  to: string;
}

/** The days of the site's own data up to yesterday (today is not over); null when it has none yet. */
export async function ownDays(db: Db, site: { id: string; timezone: string }, now = new Date()): Promise<ExportRange | null> {
  const row = await db.selectFrom("events").select((eb) => eb.fn.min<string>("day").as("first")).where("site_id", "=", site.id).executeTakeFirst();
  const to = addDays(localDay(now, site.timezone), -1);
  return row?.first && row.first <= to ? { from: row.first, to } : null;
}

/**
 * What an export covers: the site's own days, or yesterday alone while it has none (the ten
 * tables then hold no rows; the settings page and the command line say so).
 */
export async function exportRange(db: Db, site: { id: string; timezone: string }, now = new Date()): Promise<ExportRange> {
  const yesterday = addDays(localDay(now, site.timezone), -1);
  return (await ownDays(db, site, now)) ?? { from: yesterday, to: yesterday };
}

export const exportFileName = (domain: string, range: ExportRange) => `${domain}_${range.from.replaceAll("-", "")}_${range.to.replaceAll("-", "")}.zip`;

const DURATION = sql`sum(${durationMs("v")})`;

/** Visits of the days grouped by `columns` (expressions as names), with Plausible's visit metrics. */
const visitRows = (siteId: string, from: string, to: string, columns: Record<string, RawBuilder<unknown>>, metrics: Record<string, RawBuilder<unknown>>) => sql<Record<string, unknown>>`
  select v.day::text as date, ${sql.join(Object.entries(columns).map(([name, expr]) => sql`${expr} as ${sql.ref(name)}`))},
    count(distinct v.visitor_id)::int8 as visitors, ${sql.join(Object.entries(metrics).map(([name, expr]) => sql`${expr} as ${sql.ref(name)}`))}
  from visits v where v.site_id = ${siteId} and v.day between ${from}::date and ${to}::date
  group by ${sql.join(Object.keys(columns).map((_, i) => sql.lit(i + 2)))}, v.day order by v.day`;

const VISIT_METRICS = {
  visits: sql`count(*)::int8`,
  visit_duration: sql`round(${DURATION} / 1000.0)::int8`,
  bounces: sql`(count(*) filter (where v.pageviews <= 1))::int8`,
  pageviews: sql`sum(v.pageviews)::int8`,
};
const empty = sql`''::text`;

function tableQuery(table: TableName, site: { id: string; domain: string }, from: string, to: string): RawBuilder<Record<string, unknown>> {
  const col = (name: string) => sql.ref(`v.${name}`);
  switch (table) {
    case "imported_visitors":
      return sql`
        select d.date, coalesce(v.visitors, 0)::int8 as visitors, coalesce(p.pageviews, 0)::int8 as pageviews, coalesce(v.bounces, 0)::int8 as bounces,
          coalesce(v.visits, 0)::int8 as visits, coalesce(v.visit_duration, 0)::int8 as visit_duration
        from (select distinct day::text as date from visits where site_id = ${site.id} and day between ${from}::date and ${to}::date) d
        left join (
          select day::text as date, count(distinct visitor_id) as visitors, count(*) as visits, count(*) filter (where pageviews <= 1) as bounces,
            round(sum(${durationMs("v")}) / 1000.0) as visit_duration
          from visits v where site_id = ${site.id} and day between ${from}::date and ${to}::date group by day
        ) v on v.date = d.date
        left join (
          select day::text as date, count(*) as pageviews from events where site_id = ${site.id} and name = 'pageview' and day between ${from}::date and ${to}::date group by day
        ) p on p.date = d.date
        order by d.date`;
    case "imported_sources":
      return visitRows(site.id, from, to, { source: col("referrer_source"), referrer: col("referrer"), utm_source: col("utm_source"), utm_medium: col("utm_medium"), utm_campaign: col("utm_campaign"), utm_content: empty, utm_term: empty }, VISIT_METRICS);
    case "imported_pages":
      return sql`
        select e.day::text as date, ${site.domain}::text as hostname, e.pathname as page, count(distinct e.visitor_id)::int8 as visitors,
          count(distinct e.session_id)::int8 as visits, count(*)::int8 as pageviews
        from events e where e.site_id = ${site.id} and e.name = 'pageview' and e.day between ${from}::date and ${to}::date
        group by e.day, e.pathname order by e.day`;
    case "imported_entry_pages":
      return visitRows(site.id, from, to, { entry_page: col("entry_page") }, { entrances: VISIT_METRICS.visits, visit_duration: VISIT_METRICS.visit_duration, bounces: VISIT_METRICS.bounces, pageviews: VISIT_METRICS.pageviews });
    case "imported_exit_pages":
      return visitRows(site.id, from, to, { exit_page: col("exit_page") }, { exits: VISIT_METRICS.visits, visit_duration: VISIT_METRICS.visit_duration, bounces: VISIT_METRICS.bounces, pageviews: VISIT_METRICS.pageviews });
    case "imported_custom_events":
      return sql`
        select e.day::text as date, e.name, ''::text as link_url, ''::text as path, count(distinct e.visitor_id)::int8 as visitors, count(*)::int8 as events
        from events e where e.site_id = ${site.id} and e.name <> 'pageview' and e.day between ${from}::date and ${to}::date
        group by e.day, e.name order by e.day`;
    case "imported_locations":
      return visitRows(site.id, from, to, { country: col("country"), region: empty, city: empty }, VISIT_METRICS);
    case "imported_devices":
      return visitRows(site.id, from, to, { device: col("device") }, VISIT_METRICS);
    case "imported_browsers":
      return visitRows(site.id, from, to, { browser: col("browser"), browser_version: empty }, VISIT_METRICS);
    case "imported_operating_systems":
      return visitRows(site.id, from, to, { operating_system: col("os"), operating_system_version: empty }, VISIT_METRICS);
  }
}

/** The columns each exported file has, in order: date, the texts, then the counts. */
const columnsOf = (table: TableName) => {
  const shape = SHAPES[table];
  const metrics = table === "imported_pages" ? ["visitors", "visits", "pageviews"] : shape.metrics;
  return ["date", ...shape.texts, ...metrics];
};

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return) as a formula,
 * and visitors choose paths, UTM tags and event names: such cells get a leading apostrophe, as the
 * dashboard's CSV does. The importer takes exactly that apostrophe off again (parse-csv.ts);
 * values that start with apostrophes before such a character get one more, so they survive too.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;

const quote = (value: unknown) => {
  const raw = String(value ?? "");
  const text = FORMULA_START.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** The zip, chunk by chunk. */
export async function* exportZip(db: Db, site: { id: string; domain: string }, range: ExportRange): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  let failure: Error | null = null;
  let done = false;
  const zip = new Zip((error, data, final) => {
    if (error) failure = error;
    else out.push(data);
    if (final) done = true;
  });
  const suffix = `${range.from.replaceAll("-", "")}_${range.to.replaceAll("-", "")}`;
  for (const table of TABLES) {
    const file = new ZipDeflate(`${table}_${suffix}.csv`, { level: 6 });
    zip.add(file);
    const columns = columnsOf(table);
    file.push(strToU8(`${columns.join(",")}\n`));
    for (let from = range.from; from <= range.to; from = addDays(from, 31)) {
      const to = addDays(from, 30) < range.to ? addDays(from, 30) : range.to;
      const { rows } = await tableQuery(table, site, from, to).execute(db);
      if (rows.length > 0) file.push(strToU8(`${rows.map((row) => columns.map((c) => quote(row[c])).join(",")).join("\n")}\n`));
      if (failure) throw failure;
      yield* out.splice(0);
    }
    file.push(new Uint8Array(), true);
    yield* out.splice(0);
  }
  zip.end();
  if (failure) throw failure;
  yield* out.splice(0);
  if (!done) throw new Error("The zip did not end");
}
