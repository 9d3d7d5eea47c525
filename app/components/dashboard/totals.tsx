import type { Totals } from "../../../server/stats/types.js";
import { formatCount, formatExact, TOTAL_METRICS, totalChange } from "./format.js";

export function TotalsRow({ totals, previous }: { totals: Totals; previous: Totals | null }) {
  return (
    <section className="dash-totals" aria-labelledby="dash-totals-heading">
      <h2 id="dash-totals-heading" className="dash-visually-hidden">
        Summary
      </h2>
      <dl className="dash-totals__list">
        {TOTAL_METRICS.map((m) => {
          const change = previous
            ? totalChange(m, { visits: totals.visits, value: totals[m.key] }, { visits: previous.visits, value: previous[m.key] })
            : null;
          return (
            <div key={m.key} className="dash-stat">
              <dt className="dash-stat__label">{m.label}</dt>
              <dd className="dash-stat__value" title={m.format === formatCount ? formatExact(totals[m.key]) : undefined}>
                {m.format(totals[m.key])}
              </dd>
              {change?.short === "new" ? <dd className="dash-stat__change">new</dd> : null}
              {change && change.short !== "new" ? (
                <dd className={`dash-stat__change dash-stat__change--${change.tone}`}>
                  <span aria-hidden="true">{change.short}</span>
                  <span className="dash-visually-hidden">{change.words} from the previous period</span>
                </dd>
              ) : null}
            </div>
          );
        })}
      </dl>
    </section>
  );
}
