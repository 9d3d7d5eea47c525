/** Formatting shared by pages; dates use an explicit timezone so server and browser render the same text. */

// Building an Intl formatter costs far more than using one, so each is made once per timezone.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${withTime}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", ...(withTime && { timeStyle: "short" }), timeZone });
    formatters.set(key, format);
  }
  return format;
}

export function formatDate(iso: string, timeZone = "UTC"): string {
  return formatter(timeZone, false).format(new Date(iso));
}

export function formatDateTime(iso: string, timeZone = "UTC"): string {
  return formatter(timeZone, true).format(new Date(iso));
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "3 days ago"; computed by the loader with its own clock and sent as text. */
export function timeAgo(iso: string, now: Date): string {
  const seconds = Math.round((now.getTime() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return "just now";
  for (const [unit, size] of UNITS) {
    if (seconds >= size) return relative.format(-Math.floor(seconds / size), unit);
  }
  return "just now";
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** "You can try again in 5 seconds." for a Retry-After, rounded up to what a person can act on. */
export function tryAgainIn(seconds: number): string {
  if (seconds < 60) return `You can try again in ${seconds} second${seconds === 1 ? "" : "s"}.`;
  const minutes = Math.ceil(seconds / 60);
  return `You can try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}
