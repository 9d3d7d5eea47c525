/**
 * How figures, days and values read, for people: on the dashboard, in exports and in digest
 * emails alike, so a number never reads one way on screen and another in a mail.
 */
import { DIMENSION_LABELS, OPERATOR_LABELS, type Dimension, type Filter, type FilterDimension } from "./filters.js";
import { SECTION_LABELS } from "./link-scope.js";

// Fixed "en" locale: the server and the browser must print the same text, or hydration complains.
const whole = new Intl.NumberFormat("en");
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

/** 1,234 up to ten thousand, then 12.3K: short enough for a tile, exact where it matters. */
export function formatCount(n: number): string {
  return Math.abs(n) < 10_000 ? whole.format(n) : compact.format(n);
}

export const formatExact = (n: number) => whole.format(n);

/** 45s, 2m 05s, 1h 02m. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

export function formatPercent(n: number): string {
  // One decimal throughout, so a column of shares lines up.
  return `${n >= 100 ? 100 : n.toFixed(1)}%`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Series buckets are site-local labels ("2026-11-26T14:00", "2026-11-26", "2026-11"): read them,
 * don't convert them. `long` adds the year (and the day to hours) for tables and summaries.
 */
export function formatBucket(bucket: string, interval: "hour" | "day" | "month", long = false): string {
  const [date = "", time] = bucket.split("T");
  const [y, m, d] = date.split("-");
  const month = MONTHS[Number(m) - 1] ?? m;
  if (interval === "hour") return long ? `${month} ${Number(d)}, ${time}` : (time ?? bucket);
  if (interval === "month") return long || m === "01" ? `${month} ${y}` : `${month}`;
  return long ? `${month} ${Number(d)}, ${y}` : `${month} ${Number(d)}`;
}

/** "Nov 1 – Nov 26, 2026" for a range of ISO days. */
/** "Oct 1, 2026". */
export const formatDay = (day: string) => formatBucket(day, "day", true);

export function formatRange(from: string, to: string): string {
  if (from === to) return formatBucket(from, "day", true);
  const sameYear = from.slice(0, 4) === to.slice(0, 4);
  return `${formatBucket(from, "day", !sameYear)} – ${formatBucket(to, "day", true)}`;
}

let regions: Intl.DisplayNames | null | undefined;
function countryName(code: string): string {
  if (regions === undefined) {
    try {
      regions = new Intl.DisplayNames(["en"], { type: "region" });
    } catch {
      regions = null;
    }
  }
  try {
    return regions?.of(code.toUpperCase()) ?? code;
  } catch {
    return code; // not a well-formed region code
  }
}

/** How a stored value reads on screen: country names, and words for "none". */
export function displayValue(dimension: FilterDimension, value: string): string {
  if (value === "") return dimension === "source" ? "Direct / None" : "(unknown)";
  if (dimension === "country") return countryName(value);
  return value;
}

/** "Country is Germany or France". */
export function describeFilter(f: Filter): string {
  const values = f.values.map((v) => displayValue(f.dimension, v)).join(" or ");
  return `${DIMENSION_LABELS[f.dimension]} ${OPERATOR_LABELS[f.operator]} ${values}`;
}

/** A breakdown card's title is its section's name, as the link settings call it. */
export const BREAKDOWN_TITLES: Record<Dimension, string> = SECTION_LABELS;

export interface TotalMetric {
  key: "visitors" | "visits" | "pageviews" | "viewsPerVisit" | "bounceRate" | "visitDuration";
  label: string;
  format: (n: number) => string;
  /** Bounce rate: lower is better, and it changes in percentage points. */
  lowerIsBetter?: boolean;
}

/** The summary figures, in the order the dashboard and the digests show them. */
export const TOTAL_METRICS: TotalMetric[] = [
  { key: "visitors", label: "Unique visitors", format: formatCount },
  { key: "visits", label: "Total visits", format: formatCount },
  { key: "pageviews", label: "Total pageviews", format: formatCount },
  { key: "viewsPerVisit", label: "Views per visit", format: (n) => n.toFixed(2) },
  { key: "bounceRate", label: "Bounce rate", format: (n) => `${n}%`, lowerIsBetter: true },
  { key: "visitDuration", label: "Visit duration", format: formatDuration },
];

export interface TotalChange {
  /** "↑ 12%", "↓ 3 pts", "new"; null: nothing to compare. */
  short: string;
  /** "up 12%", "down 3 percentage points", "no change", "new". */
  words: string;
  tone: "good" | "bad" | "flat";
}

/**
 * How a figure moved since the previous period. Rates and averages of an empty period mean
 * nothing: with no earlier visits everything is "new".
 */
export function totalChange(
  metric: TotalMetric,
  now: { visits: number; value: number },
  before: { visits: number; value: number },
): TotalChange | null {
  const fresh: TotalChange = { short: "new", words: "new", tone: "flat" };
  if (before.visits === 0) return now.visits > 0 ? fresh : null;
  const points = metric.lowerIsBetter === true;
  if (!points && before.value === 0) return now.value === 0 ? null : fresh;
  const delta = points ? Math.round(now.value - before.value) : Math.round(((now.value - before.value) / before.value) * 100);
  const good = points ? delta < 0 : delta > 0;
  const tone = delta === 0 ? "flat" : good ? "good" : "bad";
  const arrow = delta > 0 ? "↑" : delta < 0 ? "↓" : "";
  const unit = points ? (Math.abs(delta) === 1 ? " pt" : " pts") : "%";
  const words = delta === 0 ? "no change" : `${delta > 0 ? "up" : "down"} ${Math.abs(delta)}${points ? " percentage points" : "%"}`;
  return { short: `${arrow} ${Math.abs(delta)}${unit}`.trim(), words, tone };
}
