import type { GoalDefinition } from "../../goals/goals.js";
import type { Dimension, Filter } from "../../schemas/filters.js";
import { escapeLike, goalLikePattern, namedGoals, VISIT_COLUMNS } from "../filters.js";
import { DIMENSIONS, PAGE_BITS } from "./rows.js";

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

export const within = (alias: string, scope: ColumnarScope, p: Params) =>
  `${alias}.site_id = ${p.add(scope.siteId)} and ${alias}.day between ${p.add(scope.from)}::date and ${p.add(scope.to)}::date`;

const visitLevel = (alias: string, filters: Filter[], p: Params) =>
  filters
    .filter((f) => !isPage(f) && !isGoal(f))
    .map((f) => condition(`${alias}.${VISIT_COLUMNS[f.dimension as Exclude<Dimension, "page">]}`, f, p));

/** The view's filters on visit dimensions, all at once (`true` without any). */
export const visitFilter = (alias: string, scope: ColumnarScope, p: Params) => and(visitLevel(alias, scope.filters, p));

/** Every filter of the view is on a visit dimension (none on pages or goals), and there is one. */
export const onlyVisitFilters = (scope: ColumnarScope) => scope.filters.length > 0 && scope.filters.every((f) => !isPage(f) && !isGoal(f));

/** A visit filter's dimension as `day_values` groups it (the index of its column's bit). */
export const flaggedIndexOf = (filter: Filter) => DIMENSIONS.indexOf(VISIT_COLUMNS[filter.dimension as Exclude<Dimension, "page">]);

/** Whether a `day_values` row's value is one a visit filter keeps. */
export const keptValue = (alias: string, filter: Filter, p: Params) => condition(`${alias}.value`, filter, p);

const pageLevel = (alias: string, filters: Filter[], p: Params) => filters.filter(isPage).map((f) => condition(`${alias}.pathname`, f, p));

/**
 * The ids, in the site's dictionary of paths, that a view's page filters (all at once) and each
 * page goal match: the string conditions run on the few distinct paths, and the visit rows are
 * tested on integers. Read just before the rows they test, from the same copy (a sync adds paths
 * only with the days that use them).
 */
export interface PathSets {
  pages: number[] | null;
  goals: Map<string, number[]>;
}

export async function pathSets(columnar: { lookup(sql: string, values: (string | number)[]): Promise<Record<string, unknown>[]> }, scope: ColumnarScope): Promise<PathSets> {
  const sets: PathSets = { pages: null, goals: new Map() };
  const pages = scope.filters.filter(isPage);
  const goals = scope.goals.filter((g) => g.kind === "page");
  if (!pages.length && !goals.length) return sets;
  const p = new Params();
  const site = p.add(scope.siteId);
  const parts = [
    ...(pages.length ? [`select 'pages' as k, list(id) as ids from paths where site_id = ${site} and ${and(pages.map((f) => condition("pathname", f, p)))}`] : []),
    ...goals.map((g) => `select ${p.add(g.id)} as k, list(id) as ids from paths where site_id = ${site} and pathname like ${p.add(goalLikePattern(g))} escape '\\'`),
  ];
  for (const row of await columnar.lookup(parts.join(" union all "), p.values)) {
    const ids = ((row.ids as number[] | null) ?? []).map(Number);
    if (row.k === "pages") sets.pages = ids;
    else sets.goals.set(row.k as string, ids);
  }
  return sets;
}

/**
 * A set of path ids as a bit string (bit i set when id i is in it), base64-encoded: a test of
 * one list entry costs the same whatever the set's size. (A list of the ids, searched for each
 * entry, cost per id: with 9,000 paths a page goal took 23× its view without it.)
 */
export function idBits(ids: number[]): { bits: string; size: number } {
  const size = (ids.reduce((max, id) => (id > max ? id : max), -1) + 8) & ~7;
  const bytes = Buffer.alloc(size / 8);
  for (const id of ids) bytes[id >> 3]! |= 0x80 >> (id & 7);
  return { bits: bytes.toString("base64"), size };
}

/**
 * How many entries of a list of path ids are among `ids` (a constant, so it is decoded once per
 * query). Ids past the set (paths added since it was read) are not in it; both sides of `and` are
 * evaluated, so the index is clamped.
 */
function countIn(list: string, ids: number[], p: Params): string {
  if (!ids.length) return "0";
  const { bits, size } = idBits(ids);
  return `len(list_filter(${list}, lambda x: x < ${size} and get_bit(from_base64(${p.add(bits)})::bit, least(x, ${size - 1})) = 1))`;
}

/**
 * Whether a visit viewed a path among `ids`: one `&` of its `page_bits` for the low ids, its list
 * only for visits that viewed a path of a higher id when the set holds such ids.
 */
function viewedAny(alias: string, ids: number[], p: Params): string {
  if (!ids.length) return "false";
  const low = ids.filter((id) => id < PAGE_BITS).reduce((bits, id) => bits | (1n << BigInt(id)), 0n);
  const lowTest = `(${alias}.page_bits & ${low}::bigint) <> 0`;
  if (ids.every((id) => id < PAGE_BITS)) return lowTest;
  const highTest = `((${alias}.page_bits & ${1n << BigInt(PAGE_BITS)}::bigint) <> 0 and ${countIn(`${alias}.pages`, ids, p)} > 0)`;
  return low ? `(${lowTest} or ${highTest})` : highTest;
}

/**
 * Page and goal filters keep whole visits, by what happened in them (as in ../filters.ts). Each
 * visit row of the copy carries the ids of its pageviews' paths (`pages`) and the names of its
 * other events (`names`), so these are tests on the visit row itself, not joins over its events.
 * A page filter keeps the visits with one pageview matching every page filter at once; a goal
 * filter those that converted one of the named goals (or, `is_not`, none of them).
 */
function listLevel(alias: string, scope: ColumnarScope, sets: PathSets, p: Params, withPages: boolean): string[] {
  const parts: string[] = [];
  if (withPages && scope.filters.some(isPage)) parts.push(viewedAny(alias, sets.pages ?? [], p));
  for (const filter of scope.filters.filter(isGoal)) {
    const converted = or(namedGoals(scope.goals, filter).map((g) => converts(alias, g, sets, p)));
    parts.push(filter.operator === "is_not" ? `not ${converted}` : converted);
  }
  return parts;
}

/** Whether a visit row converted a goal: an event of that name, or a pageview of a matching path. */
function converts(alias: string, goal: GoalDefinition, sets: PathSets, p: Params): string {
  if (goal.kind === "event") return `list_contains(${alias}.names, ${p.add(goal.match)})`;
  return viewedAny(alias, sets.goals.get(goal.id) ?? [], p);
}

/**
 * How many times a visit row converted a goal: its events of that name, or its pageviews of a
 * matching path, counted only in the visits that the cheaper test says converted.
 */
export function conversions(alias: string, goal: GoalDefinition, sets: PathSets, p: Params): string {
  const count = goal.kind === "event" ? `len(list_filter(${alias}.names, lambda x: x = ${p.add(goal.match)}))` : countIn(`${alias}.pages`, sets.goals.get(goal.id) ?? [], p);
  return `case when ${converts(alias, goal, sets, p)} then ${count} else 0 end`;
}

const hasListTests = (scope: ColumnarScope, withPages: boolean) => scope.filters.some((f) => isGoal(f) || (withPages && isPage(f)));

/** Visits in range under the filters. */
export const visitsWhere = (scope: ColumnarScope, sets: PathSets, p: Params, alias = "v") =>
  and([within(alias, scope, p), ...visitLevel(alias, scope.filters, p), ...listLevel(alias, scope, sets, p, true)]);

/**
 * The pageviews of a kept visit row that count under the filters: each entry of its list of
 * pages is one pageview event, and page filters keep the pageviews of their paths. Summed over
 * the visits already read, it spares the previous period's totals a pass over the events (11 of
 * 18 ms for 30 days at 1M events).
 */
export function keptPageviews(alias: string, scope: ColumnarScope, sets: PathSets, p: Params): string {
  return scope.filters.some(isPage) ? countIn(`${alias}.pages`, sets.pages ?? [], p) : `len(${alias}.pages)`;
}

/**
 * A view whose filters are all page filters: they keep pageviews by their own path, so each
 * path's figures are its unfiltered ones, and pageviews come from the days' sums per path.
 */
export const onlyPageFilters = (scope: ColumnarScope) => scope.filters.length > 0 && scope.filters.every(isPage);

/** The day sums of the paths that pass the page filters (`day_values` rows of group `pages`). */
export const pathSumsWhere = (scope: ColumnarScope, pages: number, p: Params) =>
  and([within("d", scope, p), `d.g = ${pages}`, ...scope.filters.filter(isPage).map((f) => condition("d.value", f, p))]);

/**
 * Pageviews in range under the filters: page filters apply to the pageview itself, goal filters to
 * its visit, found by session among the visit rows that pass them (far fewer rows than events).
 */
export function pageviewsWhere(scope: ColumnarScope, sets: PathSets, p: Params, alias = "e"): string {
  const goals = hasListTests(scope, false)
    ? [`${alias}.session_id in (select g.session_id from visits g where ${and([within("g", scope, p), ...listLevel("g", scope, sets, p, false)])})`]
    : [];
  return and([within(alias, scope, p), `${alias}.name = 'pageview'`, ...visitLevel(alias, scope.filters, p), ...pageLevel(alias, scope.filters, p), ...goals]);
}
