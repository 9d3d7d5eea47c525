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

export function goalMatch(alias: string, goal: GoalDefinition, p: Params): string {
  if (goal.kind === "event") return `${alias}.name = ${p.add(goal.match)}`;
  return `(${alias}.name = 'pageview' and ${alias}.pathname like ${p.add(goalLikePattern(goal))} escape '\\')`;
}

/** Page and goal filters keep whole visits, by what happened in them (as in ../filters.ts). */
function sessionLevel(alias: string, scope: ColumnarScope, p: Params, withPages: boolean): string[] {
  const parts: string[] = [];
  const pages = withPages ? pageLevel("s", scope.filters, p) : [];
  if (pages.length) {
    parts.push(`${alias}.session_id in (select s.session_id from events s where ${within("s", scope, p)} and s.name = 'pageview' and ${and(pages)})`);
  }
  for (const filter of scope.filters.filter(isGoal)) {
    const converted = `${alias}.session_id in (select c.session_id from events c where ${within("c", scope, p)} and ${or(
      namedGoals(scope.goals, filter).map((g) => goalMatch("c", g, p)),
    )})`;
    parts.push(filter.operator === "is_not" ? `not (${converted})` : converted);
  }
  return parts;
}

export const visitsWhere = (scope: ColumnarScope, p: Params, alias = "v") =>
  and([within(alias, scope, p), ...visitLevel(alias, scope.filters, p), ...sessionLevel(alias, scope, p, true)]);

export const pageviewsWhere = (scope: ColumnarScope, p: Params, alias = "e") =>
  and([
    within(alias, scope, p),
    `${alias}.name = 'pageview'`,
    ...visitLevel(alias, scope.filters, p),
    ...pageLevel(alias, scope.filters, p),
    ...sessionLevel(alias, scope, p, false),
  ]);

export const eventsWhere = (scope: ColumnarScope, p: Params, alias = "e") => visitsWhere(scope, p, alias);
