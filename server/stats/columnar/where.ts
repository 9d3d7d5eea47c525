import type { GoalDefinition } from "../../goals/goals.js";
import type { Dimension, Filter } from "../../schemas/filters.js";
import { escapeLike, goalLikePattern, namedGoals, VISIT_COLUMNS } from "../filters.js";

/**
 * The columnar copy's twin of ../filters.ts: the same conditions, written for DuckDB. Identifiers
 * come from the same constant map; every value is a bound parameter. The equality property test
 * holds the two to the same figures.
 */
export class Params {
  readonly values: (string | number)[] = [];
  add(value: string | number): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export interface ColumnarScope {
  siteId: string;
  from: string;
  to: string;
  filters: Filter[];
  goals: GoalDefinition[];
}

const isPage = (f: Filter) => f.dimension === "page";
const isGoal = (f: Filter) => f.dimension === "goal";
const and = (parts: string[]) => (parts.length ? parts.join(" and ") : "true");
const or = (parts: string[]) => (parts.length ? `(${parts.join(" or ")})` : "false");

function condition(target: string, filter: Filter, p: Params): string {
  switch (filter.operator) {
    case "is":
      return `${target} in (${filter.values.map((v) => p.add(v)).join(", ")})`;
    case "is_not":
      return `${target} not in (${filter.values.map((v) => p.add(v)).join(", ")})`;
    case "contains":
      return or(filter.values.map((v) => `${target} ilike ${p.add(`%${escapeLike(v)}%`)} escape '\\'`));
  }
}

const within = (alias: string, scope: ColumnarScope, p: Params) =>
  `${alias}.site_id = ${p.add(scope.siteId)} and ${alias}.day between ${p.add(scope.from)}::date and ${p.add(scope.to)}::date`;

const visitLevel = (alias: string, filters: Filter[], p: Params) =>
  filters
    .filter((f) => !isPage(f) && !isGoal(f))
    .map((f) => condition(`${alias}.${VISIT_COLUMNS[f.dimension as Exclude<Dimension, "page">]}`, f, p));

const pageLevel = (alias: string, filters: Filter[], p: Params) => filters.filter(isPage).map((f) => condition(`${alias}.pathname`, f, p));

/**
 * Page and goal filters keep whole visits, by what happened in them (as in ../filters.ts). Each
 * visit row of the copy carries the paths of its pageviews (`pages`) and the names of its other
 * events (`names`), so these are tests on the visit row itself, not joins over its events. A page
 * filter keeps the visits with one pageview matching every page filter at once; a goal filter
 * those that converted one of the named goals (or, `is_not`, none of them).
 */
function listLevel(alias: string, scope: ColumnarScope, p: Params, withPages: boolean): string[] {
  const parts: string[] = [];
  const pages = scope.filters.filter(isPage);
  if (withPages && pages.length) {
    const only = pages[0]!;
    parts.push(
      pages.length === 1 && only.operator === "is"
        ? `list_has_any(${alias}.pages, [${only.values.map((v) => `${p.add(v)}::varchar`).join(", ")}])`
        : `len(list_filter(${alias}.pages, lambda x: ${and(pages.map((f) => condition("x", f, p)))})) > 0`,
    );
  }
  for (const filter of scope.filters.filter(isGoal)) {
    const converted = or(namedGoals(scope.goals, filter).map((g) => `${conversions(alias, g, p)} > 0`));
    parts.push(filter.operator === "is_not" ? `not ${converted}` : converted);
  }
  return parts;
}

/** How many times a visit row converted a goal: its events of that name, or its pageviews of a matching path. */
export function conversions(alias: string, goal: GoalDefinition, p: Params): string {
  if (goal.kind === "event") return `len(list_filter(${alias}.names, lambda x: x = ${p.add(goal.match)}))`;
  return `len(list_filter(${alias}.pages, lambda x: x like ${p.add(goalLikePattern(goal))} escape '\\'))`;
}

const hasListTests = (scope: ColumnarScope, withPages: boolean) => scope.filters.some((f) => isGoal(f) || (withPages && isPage(f)));

/** Visits in range under the filters. */
export const visitsWhere = (scope: ColumnarScope, p: Params, alias = "v") =>
  and([within(alias, scope, p), ...visitLevel(alias, scope.filters, p), ...listLevel(alias, scope, p, true)]);

/**
 * Pageviews in range under the filters: page filters apply to the pageview itself, goal filters to
 * its visit, found by session among the visit rows that pass them (far fewer rows than events).
 */
export function pageviewsWhere(scope: ColumnarScope, p: Params, alias = "e"): string {
  const goals = hasListTests(scope, false)
    ? [`${alias}.session_id in (select g.session_id from visits g where ${and([within("g", scope, p), ...listLevel("g", scope, p, false)])})`]
    : [];
  return and([within(alias, scope, p), `${alias}.name = 'pageview'`, ...visitLevel(alias, scope.filters, p), ...pageLevel(alias, scope.filters, p), ...goals]);
}
