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
 * The goal's conversions in scope by custom property: for each property name (the most used
 * first), its values with converting visitors (per day, summed) and conversions.
 */
export async function goalProperties(db: Db, scope: Scope, goal: GoalDefinition): Promise<GoalProperties> {
  const { rows } = await sql<{ key: string; value: string; visitors: number; n: number }>`
    select key, value, count(*)::int8 as visitors, sum(n)::int8 as n
    from (
      select p.key, p.value, e.day, e.visitor_id, count(*)::int4 as n
      from events e, jsonb_each_text(e.props) p
      where ${eventsWhere(scope)} and ${goalMatch("e", goal)} and e.props is not null
      group by 1, 2, 3, 4
    ) t
    group by key, value`.execute(db);
  const byKey = new Map<string, { value: string; visitors: number; conversions: number }[]>();
  for (const row of rows) byKey.set(row.key, [...(byKey.get(row.key) ?? []), { value: row.value, visitors: row.visitors, conversions: row.n }]);
  const order = (a: { visitors: number; conversions: number; value: string }, b: typeof a) =>
    b.visitors - a.visitors || b.conversions - a.conversions || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
  const total = (values: { conversions: number }[]) => values.reduce((n, v) => n + v.conversions, 0);
  const keys = [...byKey.keys()].sort((a, b) => total(byKey.get(b)!) - total(byKey.get(a)!) || (a < b ? -1 : a > b ? 1 : 0));
  return {
    goal: goal.name,
    properties: keys.slice(0, MAX_PROPERTY_KEYS).map((key) => {
      const values = byKey.get(key)!.sort(order);
      return { key, rows: values.slice(0, MAX_PROPERTY_VALUES), more: values.length > MAX_PROPERTY_VALUES };
    }),
    moreProperties: keys.length > MAX_PROPERTY_KEYS,
  };
}
