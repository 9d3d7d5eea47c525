/**
 * Plausible's ten CSV tables of daily aggregates (plausible.io/docs/csv-import), as Glimpse reads
 * and writes them. Each file holds one table; every column but `date` may be left out (a missing
 * text is "", a missing number 0), and columns may come in any order. Columns that Plausible
 * exports and Glimpse has no use for are accepted and not stored.
 */
export const TABLES = [
  "imported_visitors",
  "imported_sources",
  "imported_pages",
  "imported_entry_pages",
  "imported_exit_pages",
  "imported_custom_events",
  "imported_locations",
  "imported_devices",
  "imported_browsers",
  "imported_operating_systems",
] as const;

export type TableName = (typeof TABLES)[number];

export interface TableShape {
  /** Stored text columns, in the order of the database table. */
  texts: readonly string[];
  /** Stored counts (non-negative integers). */
  metrics: readonly string[];
  /** Accepted and left out: columns of newer exports that no Glimpse figure uses. */
  ignored: readonly string[];
}

const VISIT_METRICS = ["visitors", "visits", "visit_duration", "bounces", "pageviews"] as const;

export const SHAPES: Record<TableName, TableShape> = {
  imported_visitors: { texts: [], metrics: ["visitors", "pageviews", "bounces", "visits", "visit_duration"], ignored: [] },
  imported_sources: {
    texts: ["source", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"],
    metrics: VISIT_METRICS,
    ignored: ["channel", "referrer_source"],
  },
  imported_pages: {
    texts: ["hostname", "page"],
    metrics: ["visitors", "visits", "pageviews", "exits", "time_on_page"],
    ignored: ["active_visitors", "total_scroll_depth", "total_scroll_depth_visits", "total_time_on_page", "total_time_on_page_visits", "scroll_depth", "pageleave_visitors"],
  },
  imported_entry_pages: { texts: ["entry_page"], metrics: ["visitors", "entrances", "visit_duration", "bounces", "pageviews"], ignored: [] },
  imported_exit_pages: { texts: ["exit_page"], metrics: ["visitors", "exits", "visit_duration", "bounces", "pageviews"], ignored: [] },
  imported_custom_events: { texts: ["name", "link_url", "path"], metrics: ["visitors", "events"], ignored: [] },
  imported_locations: { texts: ["country", "region", "city"], metrics: VISIT_METRICS, ignored: [] },
  imported_devices: { texts: ["device"], metrics: VISIT_METRICS, ignored: [] },
  imported_browsers: { texts: ["browser", "browser_version"], metrics: VISIT_METRICS, ignored: [] },
  imported_operating_systems: { texts: ["operating_system", "operating_system_version"], metrics: VISIT_METRICS, ignored: [] },
};

/** `imported_pages_20211230_20220101.csv`: the table and the days the export says it covers. */
const FILE_NAME = /^(imported_[a-z_]+)_(\d{8})_(\d{8})\.csv$/;

export interface FileName {
  table: TableName;
  from: string;
  to: string;
}

const isTable = (name: string): name is TableName => (TABLES as readonly string[]).includes(name);

/** "20211230" → "2021-12-30", or null when it is no calendar day. */
export function compactDay(digits: string): string | null {
  const day = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
  return isDay(day) ? day : null;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A real calendar day written YYYY-MM-DD, between 1970 and 2999 (checked without a Date: it runs per row). */
export function isDay(text: string): boolean {
  if (text.length !== 10 || !/^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(text)) return false;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return Number(text.slice(8, 10)) <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

/** The table a file holds, from its name; the reason when the name is not one of the ten. */
export function parseFileName(name: string): FileName | { error: string } {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const match = FILE_NAME.exec(base);
  const expected = "Files are named {table}_{YYYYMMDD}_{YYYYMMDD}.csv, the table being one of imported_visitors, imported_sources, imported_pages, imported_entry_pages, imported_exit_pages, imported_custom_events, imported_locations, imported_devices, imported_browsers, imported_operating_systems";
  if (!match) return { error: `${base}: not a file of Plausible's CSV export. ${expected}.` };
  const [, table, first, last] = match as unknown as [string, string, string, string];
  if (!isTable(table)) return { error: `${base}: ${table} is not one of the ten tables. ${expected}.` };
  const from = compactDay(first);
  const to = compactDay(last);
  if (!from || !to) return { error: `${base}: the dates in the name are not real days (YYYYMMDD).` };
  if (from > to) return { error: `${base}: the name's range ends before it starts.` };
  return { table, from, to };
}
