import { type RawBuilder, sql } from "kysely";
import type { GoalDefinition } from "../goals/goals.js";
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
  /** The site's goals: goal filters name them, and conversions are counted for each. */
  goals: GoalDefinition[];
}

const column = (alias: string, name: string) => sql.ref(`${alias}.${name}`);

/** LIKE treats %, _ and \ specially; escaped, a value only ever matches itself. */
export const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);
const likePattern = (value: string) => `%${escapeLike(value)}%`;

/** A filter's test of one column (`target`); every value a bound parameter. */
export function condition(target: RawBuilder<unknown>, filter: Filter): RawBuilder<boolean> {
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
const isGoal = (f: Filter) => f.dimension === "goal";
const or = (parts: RawBuilder<boolean>[]): RawBuilder<boolean> => (parts.length ? sql<boolean>`(${sql.join(parts, sql` or `)})` : sql<boolean>`false`);

/** Conditions on the visit-level dimensions, which visits and events both carry. */
export function visitLevel(alias: string, filters: Filter[]): RawBuilder<boolean>[] {
  return filters
    .filter((f) => !isPage(f) && !isGoal(f))
    .map((f) => condition(column(alias, VISIT_COLUMNS[f.dimension as Exclude<Dimension, "page">]), f));
}

function pageLevel(alias: string, filters: Filter[]): RawBuilder<boolean>[] {
  return filters.filter(isPage).map((f) => condition(column(alias, "pathname"), f));
}

/**
 * An event that converts the goal: a custom event of that name, or a pageview whose path matches
 * the goal's pattern, `*` standing for any run of characters (slashes included).
 */
export function goalMatch(alias: string, goal: GoalDefinition): RawBuilder<boolean> {
  if (goal.kind === "event") return sql<boolean>`${column(alias, "name")} = ${goal.match}`;
  return sql<boolean>`(${column(alias, "name")} = 'pageview' and ${column(alias, "pathname")} like ${goalLikePattern(goal)})`;
}

/** The goals a goal filter names, case-insensitively; names without a goal match nothing. */
export function namedGoals(goals: GoalDefinition[], filter: Filter): GoalDefinition[] {
  const names = new Set(filter.values.map((v) => v.toLowerCase()));
  return goals.filter((g) => names.has(g.name.toLowerCase()));
}

/** A page goal's pattern for LIKE with backslash as the escape: `*` matches any run of characters. */
export const goalLikePattern = (goal: GoalDefinition) => escapeLike(goal.match).replace(/\*/g, "%");

/**
 * What a page or goal filter asks of one of a visit's events. A page filter keeps the visits with a
 * pageview matching every page filter at once; a goal filter those that converted one of the named
 * goals (or, `negated`, none of them).
 */
export interface SessionTest {
  matches: RawBuilder<boolean>;
  negated: boolean;
}

export function sessionTests(alias: string, filters: Filter[], goals: GoalDefinition[]): SessionTest[] {
  const tests: SessionTest[] = [];
  const pages = pageLevel(alias, filters);
  if (pages.length) tests.push({ matches: sql<boolean>`(${column(alias, "name")} = 'pageview' and ${and(pages)})`, negated: false });
  for (const filter of filters.filter(isGoal)) {
    tests.push({ matches: or(namedGoals(goals, filter).map((g) => goalMatch(alias, g))), negated: filter.operator === "is_not" });
  }
  return tests;
}

/**
 * Filters that hold for a whole visit by what happened in it (see sessionTests). A visit's events
 * all share its day, so each lookup stays on the (site_id, day) index.
 */
function sessionLevel(alias: string, scope: Scope): RawBuilder<boolean>[] {
  return sessionTests("p", scope.filters, scope.goals).map(({ matches, negated }) => {
    const held = sql<boolean>`${column(alias, "session_id")} in (
      select p.session_id from events p where ${column("p", "site_id")} = ${scope.siteId} and ${column("p", "day")} between ${scope.from} and ${scope.to} and ${matches})`;
    return negated ? sql<boolean>`not ${held}` : held;
  });
}

/** Visits in range under the filters. */
export function visitsWhere(scope: Scope, alias = "v"): RawBuilder<boolean> {
  return and([
    sql<boolean>`${column(alias, "site_id")} = ${scope.siteId}`,
    sql<boolean>`${column(alias, "day")} between ${scope.from} and ${scope.to}`,
    ...visitLevel(alias, scope.filters),
    ...sessionLevel(alias, scope),
  ]);
}

/**
 * Pageviews in range under the filters: page filters apply to the pageview itself (a page
 * breakdown under "page is /pricing" shows /pricing), goal filters to its visit.
 */
export function pageviewsWhere(scope: Scope, alias = "e"): RawBuilder<boolean> {
  const goalsOnly = { ...scope, filters: scope.filters.filter(isGoal) };
  return and([
    sql<boolean>`${column(alias, "site_id")} = ${scope.siteId}`,
    sql<boolean>`${column(alias, "day")} between ${scope.from} and ${scope.to}`,
    sql<boolean>`${column(alias, "name")} = 'pageview'`,
    ...visitLevel(alias, scope.filters),
    ...pageLevel(alias, scope.filters),
    ...sessionLevel(alias, goalsOnly),
  ]);
}

/**
 * Events of any kind in range whose visit passes the filters: where conversions are counted.
 * Events carry their visit's columns and session id, so the conditions are the visits' own.
 */
export const eventsWhere = (scope: Scope, alias = "e") => visitsWhere(scope, alias);

export const hasPageFilter = (filters: Filter[]) => filters.some(isPage);
