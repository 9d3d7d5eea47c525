import { Link } from "@remix-run/react";
import type { GoalProperties, GoalStat } from "../../../server/stats/types.js";
import { toSearch, withFilter, type DashboardQuery } from "../../lib/dashboard-query.js";
import { formatCount, formatExact, formatPercent } from "./format.js";

interface Props {
  goals: GoalStat[];
  properties: GoalProperties | null;
  query: DashboardQuery;
  basePath: string;
  /** Where admins define goals; absent on shared dashboards, which link nowhere into the app. */
  settingsPath?: string;
  /** False where a shared link allows no filters: goal names are plain text. */
  filterable?: boolean;
}

/**
 * Conversions per goal: unique converting visitors, conversions and conversion rate, under the same
 * period and filters as the rest of the dashboard. Each goal links to the view of the visitors who
 * converted; narrowed to one goal, the card breaks its conversions down by custom property.
 */
export function GoalsCard({ goals, properties, query, basePath, settingsPath, filterable = true }: Props) {
  if (goals.length === 0 && !settingsPath) return null;
  const widest = Math.max(1, ...goals.map((g) => g.visitors));
  return (
    <section className="dash-card dash-goals" aria-labelledby="dash-goals-heading">
      <h2 id="dash-goals-heading" className="dash-card__title">
        Goals
      </h2>
      {goals.length === 0 ? (
        <p className="dash-breakdown__empty">
          No goals yet. <Link to={settingsPath!}>Add a goal</Link> to count signups, purchases or visits to a page.
        </p>
      ) : (
        <table className="dash-table dash-breakdown__table dash-goals__table">
          <caption className="dash-visually-hidden">
            Goals: converting visitors, conversions and conversion rate.{filterable ? " Choose a goal to see the visitors who converted." : ""}
          </caption>
          <thead>
            <tr>
              <th scope="col">Goal</th>
              <th scope="col" className="dash-num dash-goals__uniques">
                Uniques
              </th>
              <th scope="col" className="dash-num dash-goals__total">
                Total
              </th>
              <th scope="col" className="dash-num dash-goals__rate">
                <abbr title="Conversion rate: converting visitors out of all visitors">CR</abbr>
              </th>
            </tr>
          </thead>
          <tbody>
            {goals.map((goal) => {
              const href = basePath + toSearch(withFilter(query, { dimension: "goal", operator: "is", values: [goal.name] }));
              return (
                <tr key={goal.id}>
                  <th scope="row" className="dash-breakdown__label">
                    <svg className="dash-bar" aria-hidden="true" focusable="false" width="100%" height="100%">
                      <rect width={`${((goal.visitors / widest) * 100).toFixed(1)}%`} height="100%" rx="4" />
                    </svg>
                    {filterable ? (
                      <Link to={href} className="dash-breakdown__value" title={goalTitle(goal)} preventScrollReset>
                        {goal.name}
                      </Link>
                    ) : (
                      <span className="dash-breakdown__value" title={goalTitle(goal)}>
                        {goal.name}
                      </span>
                    )}
                  </th>
                  <td className="dash-num" title={formatExact(goal.visitors)}>
                    {formatCount(goal.visitors)}
                  </td>
                  <td className="dash-num" title={formatExact(goal.conversions)}>
                    {formatCount(goal.conversions)}
                  </td>
                  <td className="dash-num dash-muted">{formatPercent(goal.conversionRate)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {properties ? <GoalPropertiesList properties={properties} /> : null}
    </section>
  );
}

function goalTitle(goal: GoalStat): string {
  if (goal.kind === "event") return `Custom event “${goal.match}”`;
  return goal.match ? `Pageviews of ${goal.match}` : "Pageviews of a page";
}

function GoalPropertiesList({ properties }: { properties: GoalProperties }) {
  return (
    <div className="dash-goals__props">
      <h3 className="dash-goals__props-title">{properties.goal} by property</h3>
      {properties.properties.length === 0 ? (
        <p className="dash-muted dash-goals__none">These conversions came without custom properties.</p>
      ) : (
        properties.properties.map(({ key, rows, more }) => (
          <table key={key} className="dash-table dash-breakdown__table dash-goals__table">
            <caption className="dash-goals__prop-name">
              <code>{key}</code>
            </caption>
            <thead>
              <tr>
                <th scope="col">Value</th>
                <th scope="col" className="dash-num dash-goals__uniques">
                  Uniques
                </th>
                <th scope="col" className="dash-num dash-goals__total">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.value}>
                  <th scope="row" className="dash-breakdown__label">
                    <span className="dash-breakdown__value" title={row.value}>
                      {row.value === "" ? <span className="dash-breakdown__value--none">(empty)</span> : row.value}
                    </span>
                  </th>
                  <td className="dash-num" title={formatExact(row.visitors)}>
                    {formatCount(row.visitors)}
                  </td>
                  <td className="dash-num" title={formatExact(row.conversions)}>
                    {formatCount(row.conversions)}
                  </td>
                </tr>
              ))}
              {more ? (
                <tr>
                  <td colSpan={3} className="dash-muted dash-goals__none">
                    Showing the 10 values with the most converting visitors.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        ))
      )}
      {properties.moreProperties ? <p className="dash-muted dash-goals__none">Showing the 10 most used properties.</p> : null}
    </div>
  );
}
