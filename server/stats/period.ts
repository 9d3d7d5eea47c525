import { Invalid } from "../errors.js";
import { PERIOD_LABELS, type Period } from "../schemas/stats.js";
import { addDays, addMonths, daysBetween, eachDay, eachMonth, isRealDay, localDay, MAX_RANGE_DAYS } from "../dates.js";

export type Interval = "hour" | "day" | "month";

/** Inclusive site-local days. */
export interface DayRange {
  from: string;
  to: string;
}

export interface ResolvedPeriod extends DayRange {
  key: Period["key"];
  label: string;
  interval: Interval;
  /** The same number of days just before; null for custom ranges (the contract shows no badges there). */
  previous: DayRange | null;
}

/** Postgres has no year 0, and nothing was tracked on the web before this anyway. */
const EARLIEST = "1970-01-01";


export function resolvePeriod(period: Period, timezone: string, now: Date): ResolvedPeriod {
  const today = localDay(now, timezone);
  const label = PERIOD_LABELS[period.key];
  switch (period.key) {
    case "today":
      return withPrevious({ key: "today", from: today, to: today, label, interval: "hour" });
    case "7d":
      return withPrevious({ key: "7d", from: addDays(today, -6), to: today, label, interval: "day" });
    case "30d":
      return withPrevious({ key: "30d", from: addDays(today, -29), to: today, label, interval: "day" });
    case "month":
      return withPrevious({ key: "month", from: `${today.slice(0, 7)}-01`, to: today, label, interval: "day" });
    case "12mo":
      return withPrevious({ key: "12mo", from: addMonths(today, -11), to: today, label, interval: "month" });
    case "custom":
      return custom(period);
  }
}

function custom(period: Period): ResolvedPeriod {
  const { from, to } = period;
  if (!from || !isRealDay(from)) throw new Invalid("Use a real start date like 2026-01-31", "period.from");
  if (!to || !isRealDay(to)) throw new Invalid("Use a real end date like 2026-01-31", "period.to");
  if (from < EARLIEST || to < EARLIEST) throw new Invalid("Pick dates from 1970 on", from < EARLIEST ? "period.from" : "period.to");
  if (from > to) throw new Invalid("The end date must be on or after the start date", "period.to");
  const days = daysBetween(from, to);
  if (days > MAX_RANGE_DAYS) throw new Invalid("Pick a range of at most 10 years", "period.to");
  // Past a year, daily points stop being readable, so long ranges are charted by month.
  const interval: Interval = days === 1 ? "hour" : days > 366 ? "month" : "day";
  const label = from === to ? from : `${from} – ${to}`;
  return { key: "custom", from, to, label, interval, previous: null };
}

function withPrevious(range: Omit<ResolvedPeriod, "previous">): ResolvedPeriod {
  const length = daysBetween(range.from, range.to);
  return { ...range, previous: { from: addDays(range.from, -length), to: addDays(range.from, -1) } };
}

/** Every bucket label of the series, so days without traffic show as zeros. */
export function bucketsOf(range: DayRange, interval: Interval): string[] {
  if (interval === "month") return eachMonth(range.from, range.to);
  if (interval === "day") return eachDay(range.from, range.to);
  return eachDay(range.from, range.to).flatMap((day) =>
    Array.from({ length: 24 }, (_, hour) => `${day}T${String(hour).padStart(2, "0")}:00`),
  );
}
