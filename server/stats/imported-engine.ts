import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import type { Dimension } from "../schemas/filters.js";
import { addValue, type RangeFigures, type RangeQuery, type StatsEngine, type Sums } from "./engine.js";

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

/**
 * Any engine, with the days of a site's completed imports added (as Plausible adds imported
 * data): imported days lie before the site's first own event, so every figure of a range is the
 * native days' plus the imported days', and both engines get the same imported figures from the
 * same tables. The imported tables are daily aggregates, one dimension at a time: they cannot
 * answer a filter or a segment, so a filtered view leaves imported days out and says so
 * (`RangeFigures.imported.leftOut`). Hours are not in them: a single imported day's hours stay 0.
 */
export function withImported(db: Db, engine: StatsEngine): StatsEngine {
  /** The imports in the query's range, and whether the view can include them. */
  const plan = (query: RangeQuery) => {
    const ids = (query.imported ?? []).filter((r) => r.from <= query.to && r.to >= query.from).map((r) => r.id);
    return { ids, answerable: query.filters.length === 0 };
  };

  const wrap = (inner: StatsEngine): StatsEngine => ({
    async range(query) {
      const { ids, answerable } = plan(query);
      if (ids.length === 0) return inner.range(query);
      if (!answerable) return { ...(await inner.range(query)), imported: { days: 0, leftOut: true } };
      const [native, imported] = await Promise.all([inner.range(query), importedFigures(db, ids, query)]);
      return addImported(native, imported, query);
    },
    async totals(query) {
      const { ids, answerable } = plan(query);
      if (ids.length === 0 || !answerable) return inner.totals(query);
      const [native, imported] = await Promise.all([inner.totals(query), importedDays(db, ids, query)]);
      return imported.reduce<Sums>((sum, day) => addDaySums(sum, day), { ...native });
    },
    currentVisitors: (query, since) => inner.currentVisitors(query, since),
    goalProperties: (query, goal) => inner.goalProperties(query, goal),
    // Views with filters of the viewer's own never include imported days, so nothing here reads
    // the database inside the engine's bounded work (a transaction on the embedded database).
    madeUp: (work) => inner.madeUp((bounded) => work(wrap(bounded))),
  });
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
  return { ...result, imported: imported.dayCount > 0 ? { days: imported.dayCount, leftOut: false } : undefined };
}
