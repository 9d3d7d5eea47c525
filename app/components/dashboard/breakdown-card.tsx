import { Link } from "@remix-run/react";
import { DIMENSION_LABELS } from "../../../server/schemas/filters.js";
import type { Breakdown } from "../../../server/stats/types.js";
import { toSearch, withFilter, withParam, type DashboardQuery } from "../../lib/dashboard-query.js";
import { BREAKDOWN_TITLES, displayValue, formatCount, formatExact, formatPercent } from "./format.js";

interface Props {
  breakdown: Breakdown;
  query: DashboardQuery;
  basePath: string;
  /** False where a shared link allows no filters: values are plain text, not links. */
  filterable?: boolean;
  /** False when the period has no visitors in its totals (imported breakdowns without imported totals): no value has a share. */
  shares?: boolean;
}

/** One "top N" table; each value is a link that narrows the whole dashboard to it. */
export function BreakdownCard({ breakdown, query, basePath, filterable = true, shares = true }: Props) {
  const { dimension, rows, more } = breakdown;
  const title = BREAKDOWN_TITLES[dimension];
  const headingId = `dash-breakdown-${dimension}`;
  const widest = Math.max(1, ...rows.map((r) => r.visitors));

  return (
    <section className="dash-card dash-breakdown" aria-labelledby={headingId}>
      <h2 id={headingId} className="dash-card__title">
        {title}
      </h2>
      {rows.length === 0 ? (
        <p className="dash-breakdown__empty">No data for this period</p>
      ) : (
        <table className="dash-table dash-breakdown__table">
          <caption className="dash-visually-hidden">
            {title}: visitors and share of all visitors.{filterable ? " Choose a value to filter the dashboard by it." : ""}
          </caption>
          <thead>
            <tr>
              <th scope="col">{DIMENSION_LABELS[dimension]}</th>
              <th scope="col" className="dash-num dash-breakdown__visitors">
                Visitors
              </th>
              <th scope="col" className="dash-num dash-breakdown__pct">
                <abbr title="Share of all visitors">%</abbr>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const label = displayValue(dimension, row.value);
              const href = basePath + toSearch(withFilter(query, { dimension, operator: "is", values: [row.value] }));
              return (
                <tr key={row.value}>
                  <th scope="row" className="dash-breakdown__label">
                    <svg className="dash-bar" aria-hidden="true" focusable="false" width="100%" height="100%">
                      <rect width={`${((row.visitors / widest) * 100).toFixed(1)}%`} height="100%" rx="4" />
                    </svg>
                    {filterable ? (
                      <Link to={href} className={valueClass(row.value)} title={label} preventScrollReset>
                        {label}
                      </Link>
                    ) : (
                      <span className={valueClass(row.value)} title={label}>
                        {label}
                      </span>
                    )}
                  </th>
                  <td className="dash-num" title={formatExact(row.visitors)}>
                    {formatCount(row.visitors)}
                  </td>
                  <td className="dash-num dash-muted">{shares ? formatPercent(row.percentage) : <span title="The period has no total to take a share of">–</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {more ? (
        <p className="dash-breakdown__more">
          <Link to={basePath + toSearch(withParam(query, "more", dimension))}>
            More <span className="dash-visually-hidden">{title.toLowerCase()}</span>
            <span aria-hidden="true"> →</span>
          </Link>
        </p>
      ) : null}
    </section>
  );
}

const valueClass = (value: string) => `dash-breakdown__value${value === "" ? " dash-breakdown__value--none" : ""}`;
