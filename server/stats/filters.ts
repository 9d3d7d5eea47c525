import { type RawBuilder, sql } from "kysely";
import type { Dimension, Filter } from "../schemas/filters.js";
import type { DayRange } from "./period.js";

/**
 * The only place a dimension becomes SQL. Identifiers come from this constant map, never from
 * input; filter values are always bound parameters.
 */
export const VISIT_COLUMNS: Record<Exclude<Dimension, "page">, string> = {
  entry_page: "entry_page",
  source: "referrer_source",
  referrer: "referrer",
  utm_source: "utm_source",
  utm_medium: "utm_medium",
  utm_campaign: "utm_campaign",
  country: "country",
  device: "device",
  browser: "browser",
  os: "os",
};

export interface Scope extends DayRange {
  siteId: string;
  /** Segment filters and viewer filters together: every one of them must hold. */
  filters: Filter[];
}

const column = (alias: string, name: string) => sql.ref(`${alias}.${name}`);

/** LIKE treats %, _ and \ specially; escaped, a value only ever matches itself. */
const likePattern = (value: string) => `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function condition(target: RawBuilder<unknown>, filter: Filter): RawBuilder<boolean> {
  const values = filter.values.map((v) => sql`${v}`);
  switch (filter.operator) {
    case "is":
      return sql<boolean>`${target} in (${sql.join(values)})`;
    case "is_not":
      return sql<boolean>`${target} not in (${sql.join(values)})`;
    case "contains":
      return sql<boolean>`(${sql.join(filter.values.map((v) => sql`${target} ilike ${likePattern(v)}`), sql` or `)})`;
  }
}

const and = (parts: RawBuilder<boolean>[]): RawBuilder<boolean> => (parts.length ? sql<boolean>`${sql.join(parts, sql` and `)}` : sql<boolean>`true`);

const isPage = (f: Filter) => f.dimension === "page";

/** Conditions on the visit-level dimensions, which visits and events both carry. */
function visitLevel(alias: string, filters: Filter[]): RawBuilder<boolean>[] {
  return filters
    .filter((f) => !isPage(f))
    .map((f) => condition(column(alias, VISIT_COLUMNS[f.dimension as Exclude<Dimension, "page">]), f));
}

function pageLevel(alias: string, filters: Filter[]): RawBuilder<boolean>[] {
  return filters.filter(isPage).map((f) => condition(column(alias, "pathname"), f));
}

/**
 * Visits in range under the filters. A page filter keeps the visits that contain a pageview
 * matching every page filter; a visit's events all share its day, so the lookup stays on the
 * (site_id, day) index.
 */
export function visitsWhere(scope: Scope, alias = "v"): RawBuilder<boolean> {
  const parts = [
    sql<boolean>`${column(alias, "site_id")} = ${scope.siteId}`,
    sql<boolean>`${column(alias, "day")} between ${scope.from} and ${scope.to}`,
    ...visitLevel(alias, scope.filters),
  ];
  const pages = pageLevel("p", scope.filters);
  if (pages.length) {
    parts.push(sql<boolean>`${column(alias, "session_id")} in (
      select p.session_id from events p
      where p.site_id = ${scope.siteId} and p.day between ${scope.from} and ${scope.to}
        and p.name = 'pageview' and ${and(pages)})`);
  }
  return and(parts);
}

/** Pageviews in range under the filters: page filters apply to the pageview itself. */
export function pageviewsWhere(scope: Scope, alias = "e"): RawBuilder<boolean> {
  return and([
    sql<boolean>`${column(alias, "site_id")} = ${scope.siteId}`,
    sql<boolean>`${column(alias, "day")} between ${scope.from} and ${scope.to}`,
    sql<boolean>`${column(alias, "name")} = 'pageview'`,
    ...visitLevel(alias, scope.filters),
    ...pageLevel(alias, scope.filters),
  ]);
}

export const hasPageFilter = (filters: Filter[]) => filters.some(isPage);
