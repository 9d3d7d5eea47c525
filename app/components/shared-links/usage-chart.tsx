import { formatBucket } from "~/components/dashboard/format";

export interface UsageDay {
  day: string;
  views: number;
  viewers: number;
  failedUnlocks: number;
}

const WIDTH = 600;
const HEIGHT = 100;

/**
 * Bars by day, server-rendered SVG: readable without JavaScript, with a summary for screen readers
 * and the numbers in a table below.
 */
export function UsageBars({ days, series, label, tone }: { days: UsageDay[]; series: (d: UsageDay) => number; label: string; tone: "views" | "failures" }) {
  const values = days.map(series);
  const max = Math.max(1, ...values);
  const slot = WIDTH / days.length;
  const total = values.reduce((a, b) => a + b, 0);
  const summary = `${label} per day, ${formatBucket(days[0]!.day, "day", true)} to ${formatBucket(days.at(-1)!.day, "day", true)}: ${total} in all, at most ${Math.max(...values)} a day.`;
  return (
    <figure className="usage-chart">
      <figcaption className="usage-chart__title">
        {label} <span className="muted">{total === 0 ? "(none in these 30 days)" : `(most in a day: ${Math.max(...values)})`}</span>
      </figcaption>
      {/* Stretched to the width at a fixed height, so the labels live outside it, in HTML. */}
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={summary} className={`usage-chart__svg usage-chart__svg--${tone}`}>
        <line x1="0" x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} className="usage-chart__axis" />
        {values.map((v, i) => {
          const h = v === 0 ? 0 : Math.max(2, (v / max) * (HEIGHT - 4));
          return (
            <rect key={days[i]!.day} x={i * slot + slot * 0.15} y={HEIGHT - h} width={slot * 0.7} height={h}>
              <title>{`${formatBucket(days[i]!.day, "day", true)}: ${v}`}</title>
            </rect>
          );
        })}
      </svg>
      <div className="usage-chart__labels" aria-hidden="true">
        <span>{formatBucket(days[0]!.day, "day")}</span>
        <span>{formatBucket(days.at(-1)!.day, "day")}</span>
      </div>
    </figure>
  );
}
