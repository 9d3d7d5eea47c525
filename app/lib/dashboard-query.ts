import { filter as filterSchema, MAX_FILTER_VALUES, type Filter } from "../../server/schemas/filters.js";
import { DEFAULT_PERIOD, MAX_VIEW_FILTERS, PERIOD_LABELS, PERIODS, period as periodSchema, type Period, type PeriodKey } from "../../server/schemas/stats.js";

/**
 * The dashboard's state lives in its URL so every view is a link that works without JavaScript:
 *   ?period=30d                      (today | 7d | 30d | month | 12mo | custom; default 30d)
 *   &from=2026-01-01&to=2026-01-31   (custom only)
 *   &f=country,is,DE&f=page,contains,/blog   (repeated; split on the first two commas only)
 * Repeated `f` with the same dimension and operator form one filter with several values.
 * Every other parameter (embed, theme, background, more…) is carried along untouched.
 */
export interface DashboardQuery {
  period: Period;
  filters: Filter[];
  /** Why parts of the URL were ignored, in words a visitor understands. */
  errors: string[];
  /** Parameters this module does not own, in their original order. */
  rest: Array<[string, string]>;
}

export { DEFAULT_PERIOD };
const OWN = new Set(["period", "from", "to", "f"]);

export function parseDashboardQuery(input: URLSearchParams | string): DashboardQuery {
  const params = typeof input === "string" ? new URLSearchParams(input) : input;
  const errors: string[] = [];
  const period = parsePeriod(params, errors);
  const filters: Filter[] = [];
  for (const raw of params.getAll("f")) addRawFilter(filters, raw, errors);
  const rest = [...params].filter(([key]) => !OWN.has(key));
  return { period, filters, errors, rest };
}

function parsePeriod(params: URLSearchParams, errors: string[]): Period {
  const key = params.get("period");
  const fallback: Period = { key: DEFAULT_PERIOD };
  if (key === null || key === "") return fallback;
  if (!(PERIODS as readonly string[]).includes(key)) {
    errors.push(`Unknown period “${key}”: showing ${PERIOD_LABELS[DEFAULT_PERIOD]}.`);
    return fallback;
  }
  if (key !== "custom") return { key: key as PeriodKey };
  const from = params.get("from") || undefined;
  const to = params.get("to") || undefined;
  const parsed = periodSchema.safeParse({ key, from, to });
  const problem = parsed.success ? [from, to].find((d) => d && !isRealDay(d)) : undefined;
  if (parsed.success && !problem) return parsed.data;
  const reason = parsed.success ? `${problem} is not a date in the calendar` : parsed.error.issues[0]?.message;
  errors.push(`Custom range ignored (${reason}): showing ${PERIOD_LABELS[DEFAULT_PERIOD]}.`);
  return fallback;
}

function isRealDay(day: string): boolean {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function addRawFilter(filters: Filter[], raw: string, errors: string[]) {
  const first = raw.indexOf(",");
  const second = first < 0 ? -1 : raw.indexOf(",", first + 1);
  if (second < 0) {
    errors.push(`Filter “${raw}” ignored: write it as dimension,operator,value.`);
    return;
  }
  const parsed = filterSchema.safeParse({
    dimension: raw.slice(0, first),
    operator: raw.slice(first + 1, second),
    values: [raw.slice(second + 1)],
  });
  if (!parsed.success) {
    errors.push(`Filter “${raw}” ignored: ${parsed.error.issues[0]?.message ?? "invalid"}.`);
    return;
  }
  const problem = mergeFilter(filters, parsed.data);
  if (problem) errors.push(`Filter “${raw}” ignored: ${problem}.`);
}

/** Adds a filter, folding it into one with the same dimension and operator. Returns why not, if not. */
function mergeFilter(filters: Filter[], next: Filter): string | null {
  const same = filters.find((f) => f.dimension === next.dimension && f.operator === next.operator);
  if (same) {
    const values = [...new Set([...same.values, ...next.values])];
    if (values.length > MAX_FILTER_VALUES) return `a filter takes at most ${MAX_FILTER_VALUES} values`;
    same.values = values;
    return null;
  }
  if (filters.length >= MAX_VIEW_FILTERS) return `use at most ${MAX_VIEW_FILTERS} filters`;
  filters.push({ ...next, values: [...next.values] });
  return null;
}

const copy = (query: DashboardQuery): DashboardQuery => ({
  period: { ...query.period },
  filters: query.filters.map((f) => ({ ...f, values: [...f.values] })),
  errors: [],
  rest: query.rest.map(([k, v]) => [k, v]),
});

/**
 * Adds a filter. An `is` filter replaces an earlier `is` on the same dimension (clicking another
 * country switches to it); other operators add their values. Past the limit, nothing changes.
 */
export function withFilter(query: DashboardQuery, filter: Filter): DashboardQuery {
  const next = copy(query);
  if (filter.operator === "is") {
    const index = next.filters.findIndex((f) => f.dimension === filter.dimension && f.operator === "is");
    if (index >= 0) {
      next.filters[index] = { ...filter, values: [...filter.values] };
      return next;
    }
  }
  return mergeFilter(next.filters, filter) ? copy(query) : next;
}

export function withoutFilter(query: DashboardQuery, index: number): DashboardQuery {
  const next = copy(query);
  next.filters.splice(index, 1);
  return next;
}

export function withPeriod(query: DashboardQuery, period: Period): DashboardQuery {
  const next = copy(query);
  next.period = period.key === "custom" ? { ...period } : { key: period.key };
  return next;
}

/** Sets (or with null removes) a parameter this module does not own, such as `more`. */
export function withParam(query: DashboardQuery, name: string, value: string | null): DashboardQuery {
  const next = copy(query);
  next.rest = next.rest.filter(([key]) => key !== name);
  if (value !== null) next.rest.push([name, value]);
  return next;
}

/** The query as `name, value` pairs, in the order `toSearch` writes them (handy for hidden inputs). */
export function toParams(query: DashboardQuery): Array<[string, string]> {
  const pairs: Array<[string, string]> = [["period", query.period.key]];
  if (query.period.key === "custom") {
    if (query.period.from) pairs.push(["from", query.period.from]);
    if (query.period.to) pairs.push(["to", query.period.to]);
  }
  for (const f of query.filters) {
    for (const value of f.values) pairs.push(["f", `${f.dimension},${f.operator},${value}`]);
  }
  return [...pairs, ...query.rest];
}

// Commas, slashes and colons are legal in a query string; leaving them readable keeps
// `f=page,is,/blog/post` recognisable in the address bar. URLSearchParams reads both forms.
const encode = (s: string) => encodeURIComponent(s).replace(/%2C/g, ",").replace(/%2F/g, "/").replace(/%3A/g, ":");

export function toSearch(query: DashboardQuery): string {
  return "?" + toParams(query).map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&");
}
