import { type RawBuilder, sql } from "kysely";
import type { Db } from "../../db/client.js";
import type { Dimension, Filter } from "../schemas/filters.js";
import { addValue, type RangeFigures, type RangeQuery, type StatsEngine, type Sums } from "./engine.js";
import { condition } from "./filters.js";

/** A completed import a site's dashboards include, with the days it added. */
export interface ImportedRange {
  id: string;
  from: string;
  to: string;
}

/**
 * The imports a site's views add (none when an admin switched "Include imported data" off). Read
 * with the site's other facts, before any transaction (see dashboard.ts).
 */
export async function importedRanges(db: Db, siteId: string): Promise<ImportedRange[]> {
  const rows = await db
    .selectFrom("imports")
    .innerJoin("sites", "sites.id", "imports.site_id")
    .select(["imports.id", "imports.date_from", "imports.date_to"])
    .where("imports.site_id", "=", siteId)
    .where("imports.status", "=", "completed")
    .where("sites.include_imported", "=", true)
    .where("imports.date_from", "is not", null)
    .execute();
  return rows.map((r) => ({ id: r.id, from: r.date_from!, to: r.date_to! }));
}

/** Where each breakdown's imported rows come from: Plausible's table, its column, and its count (visits; pageviews for pages). */
const SOURCES: Record<Dimension, { table: string; column: string; count: string }> = {
  page: { table: "imported_pages", column: "page", count: "pageviews" },
  entry_page: { table: "imported_entry_pages", column: "entry_page", count: "entrances" },
  source: { table: "imported_sources", column: "source", count: "visits" },
  referrer: { table: "imported_sources", column: "referrer", count: "visits" },
  utm_source: { table: "imported_sources", column: "utm_source", count: "visits" },
  utm_medium: { table: "imported_sources", column: "utm_medium", count: "visits" },
  utm_campaign: { table: "imported_sources", column: "utm_campaign", count: "visits" },
  country: { table: "imported_locations", column: "country", count: "visits" },
  device: { table: "imported_devices", column: "device", count: "visits" },
  browser: { table: "imported_browsers", column: "browser", count: "visits" },
  os: { table: "imported_operating_systems", column: "operating_system", count: "visits" },
};

/** Tables whose rows are visits by one or more dimensions: each has visitors, visits (entrances), bounces, durations and pageviews. */
const VISIT_TABLES = new Set(["imported_sources", "imported_locations", "imported_devices", "imported_browsers", "imported_operating_systems", "imported_entry_pages"]);

/**
 * The imported table that answers a filter set, as Plausible answers it: every filter on a
 * dimension of that one table of visits (a source and a UTM medium are both in imported_sources;
 * a country and a device are in two tables, which cannot be joined). Page and goal filters keep
 * whole visits, which no imported table can tell.
 */
function answeringTable(filters: Filter[]): string | null {
  let table: string | null = null;
  for (const filter of filters) {
    if (filter.dimension === "page" || filter.dimension === "goal") return null;
    const source = SOURCES[filter.dimension].table;
    if (!VISIT_TABLES.has(source) || (table !== null && table !== source)) return null;
    table = source;
  }
  return table;
}

/** How a view takes imported days: all of them, the rows of one table that pass its filters, or none. */
type Plan = { ids: string[]; table: string | null; answerable: boolean };

/**
 * Any engine, with the days of a site's completed imports added (as Plausible adds imported
 * data): imported days lie before the site's first own event, so every figure of a range is the
 * native days' plus the imported days', and both engines get the same imported figures from the
 * same tables. The imported tables are daily aggregates, one table of dimensions at a time: a
 * filter set on the dimensions of one of them (`answeringTable`) takes that table's rows that
 * pass it, for the totals, the series and that table's own breakdowns; other filters leave
 * imported days out, and the figures say which (`RangeFigures.imported`). Hours are not in them:
 * a single imported day's hours stay 0.
 */
export function withImported(db: Db, engine: StatsEngine): StatsEngine {
  const plan = (query: RangeQuery): Plan => {
    const ids = (query.imported ?? []).filter((r) => r.from <= query.to && r.to >= query.from).map((r) => r.id);
    const table = query.filters.length === 0 ? null : answeringTable(query.filters);
    return { ids, table, answerable: query.filters.length === 0 || table !== null };
  };

  const wrap = (inner: StatsEngine): StatsEngine => {
    // Bounded work on the tables runs in a transaction: imported rows are read in it too.
    const reader = inner.reader ?? db;
    return {
      async range(query) {
        const { ids, table, answerable } = plan(query);
        if (ids.length === 0) return inner.range(query);
        if (!answerable) return { ...(await inner.range(query)), imported: { days: 0, leftOut: true } };
        const [native, imported] = await Promise.all([inner.range(query), table ? filteredFigures(reader, ids, query, table) : importedFigures(reader, ids, query)]);
        return addImported(native, imported, query);
      },
      async totals(query) {
        const { ids, table, answerable } = plan(query);
        if (ids.length === 0 || !answerable) return inner.totals(query);
        const [native, imported] = await Promise.all([inner.totals(query), table ? filteredDays(reader, ids, query, table) : importedDays(reader, ids, query)]);
        return imported.reduce<Sums>((sum, day) => addDaySums(sum, day), { ...native });
      },
      currentVisitors: (query, since) => inner.currentVisitors(query, since),
      goalProperties: (query, goal) => inner.goalProperties(query, goal),
      madeUp: (work) => inner.madeUp((bounded) => work(wrap(bounded))),
      ...(inner.reader && { reader: inner.reader }),
    };
  };
  return wrap(engine);
}

interface ImportedDay extends Sums {
  day: string;
}

const addDaySums = (sum: Sums, day: Sums): Sums => ({
  visitors: sum.visitors + day.visitors,
  visits: sum.visits + day.visits,
  bounces: sum.bounces + day.bounces,
  duration: sum.duration + day.duration,
  pageviews: sum.pageviews + day.pageviews,
});

/** Totals by day, from imported_visitors (Plausible's visit_duration is seconds; Glimpse counts milliseconds). */
async function importedDays(db: Db, ids: string[], query: RangeQuery): Promise<ImportedDay[]> {
  const { rows } = await sql<ImportedDay>`
    select date::text as day, sum(visitors)::int8 as visitors, sum(visits)::int8 as visits, sum(bounces)::int8 as bounces,
      (sum(visit_duration) * 1000)::int8 as duration, sum(pageviews)::int8 as pageviews
    from imported_visitors where import_id = any(${ids}::uuid[]) and date between ${query.from}::date and ${query.to}::date
    group by date order by date`.execute(db);
  return rows;
}

interface Figures {
  days: ImportedDay[];
  /** Days with imported rows in any table the view reads (breakdowns may have days that totals lack). */
  dayCount: number;
  groups: { dimension: Dimension; value: string; visitors: number; count: number }[];
  events: { name: string; visitors: number; count: number }[];
  /** With filters: the breakdowns the answering table has (the others have no imported rows). */
  sections?: Dimension[];
}

/** The dimensions whose breakdowns come from `table`. */
const dimensionsOf = (table: string) => (Object.keys(SOURCES) as Dimension[]).filter((d) => SOURCES[d].table === table);

/** The rows of `table` in the range that pass the filters (each on its column there). */
function filteredRows(ids: string[], query: RangeQuery, table: string): RawBuilder<boolean> {
  const tests = query.filters.map((f) => condition(sql.ref(SOURCES[f.dimension as Exclude<Dimension, "goal">].column), f));
  return sql<boolean>`import_id = any(${ids}::uuid[]) and date between ${query.from}::date and ${query.to}::date and ${sql.join(tests, sql` and `)}`;
}

/** Totals by day from the answering table's rows that pass the filters (entry pages count entrances as visits). */
async function filteredDays(db: Db, ids: string[], query: RangeQuery, table: string): Promise<ImportedDay[]> {
  const visits = sql.ref(table === "imported_entry_pages" ? "entrances" : "visits");
  const { rows } = await sql<ImportedDay>`
    select date::text as day, sum(visitors)::int8 as visitors, sum(${visits})::int8 as visits, sum(bounces)::int8 as bounces,
      (sum(visit_duration) * 1000)::int8 as duration, sum(pageviews)::int8 as pageviews
    from ${sql.table(table)} where ${filteredRows(ids, query, table)}
    group by date order by date`.execute(db);
  return rows;
}

/** Under filters one table answers: its rows that pass them, for totals, the series and its own breakdowns; no goals. */
async function filteredFigures(db: Db, ids: string[], query: RangeQuery, table: string): Promise<Figures> {
  const sections = dimensionsOf(table);
  const branches = sections.map((dimension) => {
    const s = SOURCES[dimension];
    return sql`
      select ${dimension}::text as dimension, ${sql.ref(s.column)} as value, sum(visitors)::int8 as visitors, sum(${sql.ref(s.count)})::int8 as count
      from ${sql.table(table)} where ${filteredRows(ids, query, table)} group by ${sql.ref(s.column)}`;
  });
  const [days, groups] = await Promise.all([filteredDays(db, ids, query, table), sql<Figures["groups"][number]>`${sql.join(branches, sql` union all `)}`.execute(db)]);
  return { days, dayCount: days.length, groups: groups.rows, events: [], sections };
}

async function importedFigures(db: Db, ids: string[], query: RangeQuery): Promise<Figures> {
  const where = sql`import_id = any(${ids}::uuid[]) and date between ${query.from}::date and ${query.to}::date`;
  const branches = (Object.entries(SOURCES) as [Dimension, (typeof SOURCES)[Dimension]][]).map(
    ([dimension, s]) => sql`
      select ${dimension}::text as dimension, ${sql.ref(s.column)} as value, sum(visitors)::int8 as visitors, sum(${sql.ref(s.count)})::int8 as count
      from ${sql.table(s.table)} where ${where} group by ${sql.ref(s.column)}`,
  );
  const eventGoals = query.goals.some((g) => g.kind === "event");
  const tables = new Set(["imported_visitors", ...Object.values(SOURCES).map((s) => s.table), ...(eventGoals ? ["imported_custom_events"] : [])]);
  const [days, dayCount, groups, events] = await Promise.all([
    importedDays(db, ids, query),
    sql<{ days: number }>`select count(*)::int8 as days from (${sql.join([...tables].map((t) => sql`select date from ${sql.table(t)} where ${where}`), sql` union `)}) d`.execute(db),
    sql<Figures["groups"][number]>`${sql.join(branches, sql` union all `)}`.execute(db),
    eventGoals
      ? sql<Figures["events"][number]>`select name, sum(visitors)::int8 as visitors, sum(events)::int8 as count from imported_custom_events where ${where} group by name`.execute(db)
      : { rows: [] },
  ]);
  return { days, dayCount: dayCount.rows[0]!.days, groups: groups.rows, events: events.rows };
}

/** Native figures plus imported ones: sums, each day's point, each breakdown value, and event goals by name. */
function addImported(native: RangeFigures, imported: Figures, query: RangeQuery): RangeFigures {
  const result: RangeFigures = { ...native, groups: new Map([...native.groups].map(([d, values]) => [d, new Map([...values].map(([v, s]) => [v, { ...s }]))])), goals: new Map([...native.goals].map(([g, s]) => [g, { ...s }])) };
  const days = new Map(native.days.map((point) => [point.day, { ...point }]));
  for (const day of imported.days) {
    Object.assign(result, addDaySums(result, day));
    const point = days.get(day.day);
    if (point) {
      point.visitors += day.visitors;
      point.pageviews += day.pageviews;
    } else {
      days.set(day.day, { day: day.day, visitors: day.visitors, pageviews: day.pageviews });
    }
  }
  result.days = [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  for (const row of imported.groups) {
    const values = result.groups.get(row.dimension) ?? new Map();
    result.groups.set(row.dimension, values);
    addValue(values, row.value, { visitors: row.visitors, count: row.count });
  }
  // Custom events count toward the goals of the same event name; page goals have no imported rows.
  for (const event of imported.events) {
    for (const goal of query.goals) if (goal.kind === "event" && goal.match === event.name) addValue(result.goals, goal.id, { visitors: event.visitors, count: event.count });
  }
  // Under filters, a table without rows in the range still says so: the imports are there, their table has nothing for these filters.
  const part = imported.dayCount > 0 ? { days: imported.dayCount, leftOut: false } : imported.sections ? { days: 0, leftOut: true } : null;
  return { ...result, imported: part ? { ...part, ...(imported.sections && { sections: imported.sections }) } : undefined };
}
