import type { DashboardStats } from "../../../server/stats/types.js";
import { formatBucket, formatCount, formatExact, formatRange } from "./format.js";

// The SVG box is the plot area itself; CSS gives it a left margin for the y labels, which are
// drawn at negative x with overflow visible. Horizontal positions are percentages, so the text
// keeps its real size at any width; only the line lives in a stretched inner viewBox.
const HEIGHT = 240;
const PLOT_TOP = 10;
const PLOT_HEIGHT = 196;
const INNER_WIDTH = 1000;
const LABEL_SLOTS = 7;
const MAX_DOTS = 40;

const UNIT = { hour: "hour", day: "day", month: "month" } as const;

export function SeriesChart({ stats, series }: { stats: DashboardStats; series: NonNullable<DashboardStats["series"]> }) {
  const { range } = stats;
  const n = series.length;
  const max = Math.max(0, ...series.map((p) => p.visitors));
  const ticks = yTicks(max);
  const top = ticks[ticks.length - 1] || 1;
  const xPct = (i: number) => round(n <= 1 ? 50 : (i / (n - 1)) * 100);
  const yPx = (v: number) => round(PLOT_HEIGHT - (v / top) * PLOT_HEIGHT);
  const points = series.map((p, i) => `${((xPct(i) / 100) * INNER_WIDTH).toFixed(1)},${yPx(p.visitors).toFixed(1)}`);
  const line = points.length ? `M${points.join("L")}` : "";
  const area = points.length ? `${line}L${points[points.length - 1]!.split(",")[0]},${PLOT_HEIGHT}L${points[0]!.split(",")[0]},${PLOT_HEIGHT}Z` : "";
  const peak = series.reduce((best, p) => (best && best.visitors >= p.visitors ? best : p), series[0]);
  const unit = UNIT[range.interval];
  const summary =
    `Visitors per ${unit}, ${formatRange(range.from, range.to)}: ${formatExact(stats.totals.visitors)} unique visitors` +
    (peak && peak.visitors > 0 ? `; busiest ${unit} ${formatBucket(peak.bucket, range.interval, true)} with ${formatExact(peak.visitors)}.` : ".");
  const labelled = labelIndices(n);

  return (
    <section className="dash-card dash-chart" aria-labelledby="dash-chart-heading">
      <h2 id="dash-chart-heading" className="dash-card__title">
        Visitors over time
      </h2>
      <div className="dash-chart__frame">
        <svg className="dash-chart__svg" role="img" aria-label={summary} width="100%" height={HEIGHT} overflow="visible">
          <title>{summary}</title>
          {ticks.map((t) => (
            <g key={t} className="dash-chart__grid">
              <line x1="0" x2="100%" y1={round(PLOT_TOP + yPx(t))} y2={round(PLOT_TOP + yPx(t))} />
              <text x="-8" y={round(PLOT_TOP + yPx(t))} dy="0.32em" textAnchor="end">
                {formatCount(t)}
              </text>
            </g>
          ))}
          <svg x="0" y={PLOT_TOP} width="100%" height={PLOT_HEIGHT} viewBox={`0 0 ${INNER_WIDTH} ${PLOT_HEIGHT}`} preserveAspectRatio="none" overflow="visible">
            <path className="dash-chart__area" d={area} />
            <path className="dash-chart__line" d={line} vectorEffect="non-scaling-stroke" />
          </svg>
          {series.map((p, i) => (
            <g key={p.bucket} className="dash-chart__point">
              <rect className="dash-chart__hit" {...hitArea(i, n)} y={PLOT_TOP} height={PLOT_HEIGHT}>
                <title>{`${formatBucket(p.bucket, range.interval, true)}: ${formatExact(p.visitors)} visitors, ${formatExact(p.pageviews)} pageviews`}</title>
              </rect>
              {n <= MAX_DOTS ? <circle className="dash-chart__dot" cx={`${xPct(i)}%`} cy={round(PLOT_TOP + yPx(p.visitors))} r="3" /> : null}
            </g>
          ))}
          {labelled.map((i, slot) => (
            <text
              key={i}
              className={slot % 2 === 1 && labelled.length > 4 ? "dash-chart__xlabel dash-chart__xlabel--minor" : "dash-chart__xlabel"}
              x={`${xPct(i)}%`}
              y={HEIGHT - 8}
              textAnchor={n <= 1 ? "middle" : i === 0 ? "start" : i === n - 1 ? "end" : "middle"}
            >
              {formatBucket(series[i]!.bucket, range.interval)}
            </text>
          ))}
        </svg>
      </div>
      <details className="dash-chart__data">
        <summary>Show data table</summary>
        <div className="dash-table-scroll">
          <table className="dash-table">
            <caption className="dash-visually-hidden">Visitors and pageviews per {unit}</caption>
            <thead>
              <tr>
                <th scope="col">{unit === "hour" ? "Hour" : unit === "day" ? "Date" : "Month"}</th>
                <th scope="col" className="dash-num">Visitors</th>
                <th scope="col" className="dash-num">Pageviews</th>
              </tr>
            </thead>
            <tbody>
              {series.map((p) => (
                <tr key={p.bucket}>
                  <th scope="row">{formatBucket(p.bucket, range.interval, true)}</th>
                  <td className="dash-num">{formatExact(p.visitors)}</td>
                  <td className="dash-num">{formatExact(p.pageviews)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Round gridline values (0, 250, 500, 750…) covering `max` in at most five steps. */
export function yTicks(max: number): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const multiples = magnitude >= 10 ? [1, 2, 2.5, 5, 10] : [1, 2, 5, 10];
  const step = Math.max(1, (multiples.find((m) => m * magnitude >= raw) ?? 10) * magnitude);
  const ticks = [0];
  while (ticks[ticks.length - 1]! < max) ticks.push(ticks.length * step);
  return ticks;
}

/** The column around point i that shows its tooltip on hover. */
function hitArea(i: number, n: number) {
  if (n <= 1) return { x: "0%", width: "100%" };
  const half = 50 / (n - 1);
  const centre = (i / (n - 1)) * 100;
  const left = Math.max(0, centre - half);
  const right = Math.min(100, centre + half);
  return { x: `${round(left)}%`, width: `${round(right - left)}%` };
}

/** Up to LABEL_SLOTS evenly spread indices, always including the first and the last point. */
function labelIndices(n: number): number[] {
  if (n <= LABEL_SLOTS) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: LABEL_SLOTS }, (_, s) => Math.round((s * (n - 1)) / (LABEL_SLOTS - 1)));
}
