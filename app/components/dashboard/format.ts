import { DIMENSION_LABELS, OPERATOR_LABELS, type Dimension, type Filter, type FilterDimension } from "../../../server/schemas/filters.js";
import { SECTION_LABELS } from "../../../server/schemas/link-scope.js";

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
