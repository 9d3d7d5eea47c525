/**
 * Calendar arithmetic on site-local days ("YYYY-MM-DD"). Days are plain strings so that they mean
 * the same thing in JS, in both database drivers and in URLs; instants become days only through a
 * site's timezone. It imports nothing: schemas, ingestion, sharing, digests and stats all use it,
 * so it sits beside them rather than in any one of them.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

type Parts = Record<"year" | "month" | "day" | "hour" | "minute" | "second", string>;

/**
 * The last second asked for, per timezone: ingestion asks for the same few seconds thousands of
 * times a second, and formatting one is most of an event's calendar work. Exact: a second's
 * wall-clock parts never change.
 */
const lastSecond = new Map<string, { second: number; parts: Parts }>();

function partsIn(date: Date, timezone: string): Parts {
  const second = Math.floor(date.getTime() / 1000);
  const last = lastSecond.get(timezone);
  if (last?.second === second) return last.parts;
  const parts = formatParts(date, timezone);
  if (lastSecond.size > 1000) lastSecond.clear();
  lastSecond.set(timezone, { second, parts });
  return parts;
}

function formatParts(date: Date, timezone: string): Parts {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timezone, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(date)) parts[part.type] = part.value;
  return parts as Parts;
}

/** The calendar day an instant falls on in a timezone. */
export function localDay(date: Date, timezone: string): string {
  const p = partsIn(date, timezone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** An instant as the timezone's wall clock shows it, to the minute: "2026-12-31T18:00" (a datetime-local value). */
export function localMinute(date: Date, timezone: string): string {
  const p = partsIn(date, timezone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** Milliseconds the timezone is ahead of UTC at that instant. */
function offsetAt(date: Date, timezone: string): number {
  const p = partsIn(date, timezone);
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return asUtc - Math.floor(date.getTime() / 1000) * 1000;
}

/** The instant a site-local wall-clock time happens (the earlier one when clocks go back). */
export function zonedTime(day: string, timezone: string, seconds = 0): Date {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d) + seconds * 1000;
  let guess = wall - offsetAt(new Date(wall), timezone);
  guess = wall - offsetAt(new Date(guess), timezone);
  return new Date(guess);
}

const toDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);

export function addDays(day: string, days: number): string {
  return toDay(dayMs(day) + days * 86_400_000);
}

/** Inclusive count of days from `from` to `to`. */
/** The longest period anything shows: ten years of months is plenty, and longer is only slow. */
export const MAX_RANGE_DAYS = 3660;

export function daysBetween(from: string, to: string): number {
  return Math.round((dayMs(to) - dayMs(from)) / 86_400_000) + 1;
}

export function addMonths(day: string, months: number): string {
  const [y, m] = day.split("-").map(Number) as [number, number];
  const date = new Date(Date.UTC(y, m - 1 + months, 1));
  return toDay(date.getTime());
}

/** True for a real calendar day: the regex in the schema lets 2026-02-31 through. */
export function isRealDay(day: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(dayMs(day)) && toDay(dayMs(day)) === day;
}

/** Counted rather than compared as strings: past year 9999 ISO days gain a sign and sort wrongly. */
export function eachDay(from: string, to: string): string[] {
  return Array.from({ length: Math.max(0, daysBetween(from, to)) }, (_, i) => addDays(from, i));
}

export function eachMonth(from: string, to: string): string[] {
  const [fy, fm] = from.split("-").map(Number) as [number, number];
  const [ty, tm] = to.split("-").map(Number) as [number, number];
  const count = Math.max(0, (ty - fy) * 12 + (tm - fm) + 1);
  return Array.from({ length: count }, (_, i) => addMonths(from, i).slice(0, 7));
}

/**
 * Events are stamped with the time they arrive, so a day is final once it has been over for a
 * while everywhere we write. Days before the one this returns are final: cached figures and the
 * columnar copy keep them for good.
 */
export const SETTLE_MS = 5 * 60_000;

export function settledDay(timezone: string, now = new Date()): string {
  return localDay(new Date(now.getTime() - SETTLE_MS), timezone);
}
