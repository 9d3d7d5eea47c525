import type { GoalDefinition } from "../../goals/goals.js";
import type { Dimension, Filter } from "../../schemas/filters.js";
import { escapeLike, goalLikePattern, namedGoals, VISIT_COLUMNS } from "../filters.js";
import type { Segment } from "./copies.js";

/**
 * The shared copy's twin of ../filters.ts: the same conditions in ClickHouse SQL, on visit rows
 * that carry their pageviews' paths (`pages`) and their other events' names (`names`).
 * Identifiers come from the same constant map; every value is a bound `{name:Type}` parameter.
 * The equality property test holds the two to the same figures.
 */
export class Params {
  readonly values: Record<string, unknown> = {};
  private next = 0;
  add(value: unknown, type: "String" | "Date" | "Array(String)"): string {
    const name = `p${this.next++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

export interface ClickHouseScope {
  siteId: string;
  from: string;
  to: string;
  filters: Filter[];
  goals: GoalDefinition[];
  /** Which copy holds which days: only their rows are read. */
  segments: Segment[];
}

const isPage = (f: Filter) => f.dimension === "page";
const isGoal = (f: Filter) => f.dimension === "goal";
const and = (parts: string[]) => (parts.length ? parts.join(" AND ") : "1");
const or = (parts: string[]) => (parts.length ? `(${parts.join(" OR ")})` : "0");

function condition(target: string, filter: Filter, p: Params): string {
  switch (filter.operator) {
    // `IN`, not `has()`: on a LowCardinality column it tests the dictionary's values, not every row's.
    case "is":
      return `${target} IN ${p.add(filter.values, "Array(String)")}`;
    case "is_not":
      return `${target} NOT IN ${p.add(filter.values, "Array(String)")}`;
    case "contains":
      // ClickHouse lowers İ to i and a combining dot, where PostgreSQL and DuckDB lower it to i
      // ("/İstanbul" would not contain "istanbul"): as I on both sides, it folds alike in all three.
      return or(filter.values.map((v) => `replaceAll(${target}, 'İ', 'I') ILIKE ${p.add(`%${escapeLike(v.replaceAll("İ", "I"))}%`, "String")}`));
  }
}

/** The site's rows of the range, each day from the copy that holds it. */
export function within(scope: ClickHouseScope, p: Params): string {
  const parts = scope.segments
    .filter((s) => s.to >= scope.from && s.from <= scope.to)
    .map((s) => `(copy = ${p.add(s.copy, "String")} AND day BETWEEN ${p.add(s.from > scope.from ? s.from : scope.from, "Date")} AND ${p.add(s.to < scope.to ? s.to : scope.to, "Date")})`);
  return `site_id = ${p.add(scope.siteId, "String")} AND day BETWEEN ${p.add(scope.from, "Date")} AND ${p.add(scope.to, "Date")} AND ${or(parts)}`;
}

const visitLevel = (filters: Filter[], p: Params) =>
  filters.filter((f) => !isPage(f) && !isGoal(f)).map((f) => condition(VISIT_COLUMNS[f.dimension as Exclude<Dimension, "page">], f, p));

/** A pageview path matching every page filter at once. */
const pageMatches = (path: string, filters: Filter[], p: Params) => and(filters.filter(isPage).map((f) => condition(path, f, p)));

/** How many times a visit row converted a goal: its events of that name, or its pageviews of a matching path. */
export function conversions(goal: GoalDefinition, p: Params): string {
  if (goal.kind === "event") return `countEqual(names, ${p.add(goal.match, "String")})`;
  return `arrayCount(x -> x LIKE ${p.add(goalLikePattern(goal), "String")}, pages)`;
}

/** Goal filters keep the visits that converted one of the named goals (or, `is_not`, none of them). */
function goalLevel(scope: ClickHouseScope, p: Params): string[] {
  return scope.filters.filter(isGoal).map((filter) => {
    const converted = or(namedGoals(scope.goals, filter).map((g) => `${conversions(g, p)} > 0`));
    return filter.operator === "is_not" ? `NOT ${converted}` : converted;
  });
}

/** Visits in range under the filters: page filters keep the visits with a pageview matching them all. */
export function visitsWhere(scope: ClickHouseScope, p: Params): string {
  const pages = scope.filters.some(isPage) ? [`arrayExists(x -> ${pageMatches("x", scope.filters, p)}, pages)`] : [];
  return and([within(scope, p), ...visitLevel(scope.filters, p), ...pages, ...goalLevel(scope, p)]);
}

/**
 * The pageviews of a kept visit row that count under the filters: its paths (one per pageview),
 * those that match the page filters when there are any. Summed over the visits a totals query
 * reads anyway, it spares it a second pass with the arrays unrolled.
 */
export const keptPageviews = (scope: ClickHouseScope, p: Params) => (scope.filters.some(isPage) ? `arrayCount(x -> ${pageMatches("x", scope.filters, p)}, pages)` : "length(pages)");

/**
 * Pageviews in range under the filters, as `page` and `ts` of the visit rows' arrays unrolled
 * (`ARRAY JOIN pages AS page, page_ts AS ts`): page filters apply to the pageview itself, the
 * others to its visit.
 */
export function pageviewsWhere(scope: ClickHouseScope, p: Params): string {
  return and([within(scope, p), ...visitLevel(scope.filters, p), ...goalLevel(scope, p), ...(scope.filters.some(isPage) ? [pageMatches("page", scope.filters, p)] : [])]);
}
