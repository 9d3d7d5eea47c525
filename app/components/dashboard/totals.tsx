import type { Totals } from "../../../server/stats/types.js";
import { formatCount, formatDuration, formatExact } from "./format.js";

interface Metric {
  key: keyof Totals;
  label: string;
  format: (n: number) => string;
  /** Bounce rate: lower is better, and it changes in percentage points. */
  lowerIsBetter?: boolean;
}

const METRICS: Metric[] = [
  { key: "visitors", label: "Unique visitors", format: formatCount },
  { key: "visits", label: "Total visits", format: formatCount },
  { key: "pageviews", label: "Total pageviews", format: formatCount },
  { key: "viewsPerVisit", label: "Views per visit", format: (n) => n.toFixed(2) },
  { key: "bounceRate", label: "Bounce rate", format: (n) => `${n}%`, lowerIsBetter: true },
  { key: "visitDuration", label: "Visit duration", format: formatDuration },
];

export function TotalsRow({ totals, previous }: { totals: Totals; previous: Totals | null }) {
  return (
    <section className="dash-totals" aria-labelledby="dash-totals-heading">
      <h2 id="dash-totals-heading" className="dash-visually-hidden">
        Summary
      </h2>
      <dl className="dash-totals__list">
        {METRICS.map((m) => (
          <div key={m.key} className="dash-stat">
            <dt className="dash-stat__label">{m.label}</dt>
            <dd className="dash-stat__value" title={m.format === formatCount ? formatExact(totals[m.key]) : undefined}>
              {m.format(totals[m.key])}
            </dd>
            {/* Rates and averages of an empty period mean nothing: with no earlier visits everything is "new". */}
            {previous && previous.visits > 0 ? <Change metric={m} now={totals[m.key]} before={previous[m.key]} /> : null}
            {previous && previous.visits === 0 && totals.visits > 0 ? <dd className="dash-stat__change">new</dd> : null}
          </div>
        ))}
      </dl>
    </section>
  );
}

function Change({ metric, now, before }: { metric: Metric; now: number; before: number }) {
  const points = metric.lowerIsBetter === true;
  if (!points && before === 0) {
    return now === 0 ? null : <dd className="dash-stat__change">new</dd>;
  }
  const delta = points ? Math.round(now - before) : Math.round(((now - before) / before) * 100);
  const good = metric.lowerIsBetter ? delta < 0 : delta > 0;
  const tone = delta === 0 ? "flat" : good ? "good" : "bad";
  const arrow = delta > 0 ? "↑" : delta < 0 ? "↓" : "";
  const unit = points ? (Math.abs(delta) === 1 ? " pt" : " pts") : "%";
  const words = delta === 0 ? "no change" : `${delta > 0 ? "up" : "down"} ${Math.abs(delta)}${points ? " percentage points" : "%"}`;
  return (
    <dd className={`dash-stat__change dash-stat__change--${tone}`}>
      <span aria-hidden="true">
        {arrow} {Math.abs(delta)}
        {unit}
      </span>
      <span className="dash-visually-hidden">{words} from the previous period</span>
    </dd>
  );
}
