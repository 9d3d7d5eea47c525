import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import type { GoalDefinition } from "../goals/goals.js";
import type { Filter } from "../schemas/filters.js";
import type { RangeFigures } from "./engine.js";
import { eventsWhere, goalMatch, type Scope } from "./filters.js";
import type { GoalProperties, GoalStat } from "./types.js";

const MAX_PROPERTY_KEYS = 10;
const MAX_PROPERTY_VALUES = 10;

const percent = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 10 : 0);

/** Every goal of the site with its conversions in the range; most converting visitors first. */
export function goalStats(goals: GoalDefinition[], sums: Pick<RangeFigures, "goals" | "visitors">): GoalStat[] {
  return goals
    .map((goal) => {
      const sum = sums.goals.get(goal.id) ?? { visitors: 0, count: 0 };
      return {
        id: goal.id,
        name: goal.name,
        kind: goal.kind,
        match: goal.match,
        visitors: sum.visitors,
        conversions: sum.count,
        conversionRate: percent(sum.visitors, sums.visitors),
      };
    })
    .sort((a, b) => b.visitors - a.visitors || b.conversions - a.conversions || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The one goal a view is narrowed to ("goal is Signup", a single value), whose custom properties
 * the dashboard then breaks down; null when there is none or more than one.
 */
export function focusedGoal(filters: Filter[], goals: GoalDefinition[]): GoalDefinition | null {
  const named = filters.filter((f) => f.dimension === "goal" && f.operator === "is");
  if (named.length !== 1 || named[0]!.values.length !== 1) return null;
  const name = named[0]!.values[0]!.toLowerCase();
  return goals.find((g) => g.name.toLowerCase() === name) ?? null;
}

/**
 * The goal's conversions in scope by custom property: the MAX_PROPERTY_KEYS property names used
 * on the most conversions, each with its MAX_PROPERTY_VALUES values with the most converting
 * visitors (per day, summed) and their conversions. Every figure shown is exact: the values are
 * counted and ranked in SQL, and only what is shown comes back, whatever the number of distinct
 * values (a flood of unique values once made one view load 120,000 of them into memory).
 * Ties go by name, in code point order (collate "C"), the same on every database.
 */
export async function goalProperties(db: Db, scope: Scope, goal: GoalDefinition): Promise<GoalProperties> {
  // An event that converts the goal is in a visit that converted it: "goal is <this goal>" adds
  // nothing here but a second pass over the range's events, so it is left out.
  const implied = (f: Filter) => f.dimension === "goal" && f.operator === "is" && f.values.length === 1 && f.values[0]!.toLowerCase() === goal.name.toLowerCase();
  scope = { ...scope, filters: scope.filters.filter((f) => !implied(f)) };
  const { rows } = await sql<{ key: string; value: string; visitors: number; n: number; key_count: number; value_count: number }>`
    with per_visitor as (
      select p.key, p.value, count(*)::int8 as n
      from events e, jsonb_each_text(e.props) p
      where ${eventsWhere(scope)} and ${goalMatch("e", goal)} and e.props is not null
      group by p.key, p.value, e.day, e.visitor_id
    ), per_value as (
      select key, value, count(*)::int8 as visitors, sum(n)::int8 as n from per_visitor group by key, value
    ), per_key as (
      select key, count(*)::int8 as value_count, count(*) over ()::int8 as key_count,
        row_number() over (order by sum(n) desc, key collate "C") as key_rank
      from per_value group by key
    ), ranked as (
      select v.key, v.value, v.visitors, v.n, k.key_count, k.value_count, k.key_rank,
        row_number() over (partition by v.key order by v.visitors desc, v.n desc, v.value collate "C") as value_rank
      from per_value v join per_key k on k.key = v.key
      where k.key_rank <= ${MAX_PROPERTY_KEYS}
    )
    select key, value, visitors, n, key_count, value_count from ranked
    where value_rank <= ${MAX_PROPERTY_VALUES}
    order by key_rank, value_rank`.execute(db);
  const properties: GoalProperties["properties"] = [];
  for (const row of rows) {
    let property = properties.at(-1);
    if (property?.key !== row.key) properties.push((property = { key: row.key, rows: [], more: row.value_count > MAX_PROPERTY_VALUES }));
    property.rows.push({ value: row.value, visitors: row.visitors, conversions: row.n });
  }
  return { goal: goal.name, properties, moreProperties: (rows[0]?.key_count ?? 0) > MAX_PROPERTY_KEYS };
}
