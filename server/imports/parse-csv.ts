import type { Readable } from "node:stream";
import { CsvError, parse } from "csv-parse";
import { isStorableText } from "../schemas/common.js";
import { isDay, SHAPES, type TableName } from "./tables.js";

/** Bad input: the message names the file and, where there is one, the line. */
export class ImportInputError extends Error {
  override name = "ImportInputError";
}

/** Rows of one table, column by column, as the database takes them (see store.ts). */
export interface Batch {
  table: TableName;
  dates: string[];
  texts: string[][];
  metrics: number[][];
}

export interface TableResult {
  /** Rows kept (their days were imported). */
  rows: number;
  /** Rows of days that were left out (see `keep`). */
  skippedRows: number;
  /** Sum of `pageviews` over the kept rows (imported_visitors says how many pageviews an import adds). */
  pageviews: number;
  from: string | null;
  to: string | null;
}

/** A value longer than this is no page, source or browser name. */
export const MAX_TEXT = 2048;
/**
 * What one table's rows of one day may add up to in any column. Dashboards sum days (durations
 * × 1000, as milliseconds) over ranges of up to ten years: 3,660 such days stay inside PostgreSQL's
 * int8 (9.2 × 10^18), and a trillion pageviews or seconds of visits in a day is no real site's.
 */
export const MAX_DAY_SUM = 10 ** 12;
const COUNT = /^\d+$/;
/** Countries are ISO 3166-1 alpha-2 codes ("" for unknown; Plausible writes "ZZ" for unknown, too). */
const COUNTRY = /^[A-Z]{2}$/;
/**
 * A cell our export kept from running as a spreadsheet formula (export.ts): it loses that one
 * apostrophe again, so an export imports as it was. Apostrophes before the character count, so
 * that a value which itself starts with one survives the round trip too.
 */
const NEUTRALISED = /^'+[=+\-@\t\r]/;

export interface ReadOptions {
  /** The days the file's name says it covers: a row outside them is an error. */
  days: { from: string; to: string };
  /** Whether a day's rows are imported; the others are counted as skipped. */
  keep: (day: string) => boolean;
  batchRows?: number;
}

/**
 * Reads one CSV file of a table as a stream and hands its rows on in batches, validating as it
 * goes: the header (known columns, none twice, a `date`), each row's field count, dates (within
 * the name's), counts, what a day adds up to, and texts. The first bad line throws an
 * ImportInputError naming the file and the line; rows already handed on belong to an import that
 * is then never completed (see job.ts).
 */
export async function readTable(input: Readable, file: string, table: TableName, sink: (batch: Batch) => Promise<void>, options: ReadOptions): Promise<TableResult> {
  const shape = SHAPES[table];
  const batchRows = options.batchRows ?? 5000;
  const parser = input.pipe(
    parse({ bom: true, skip_empty_lines: true, max_record_size: 64 * 1024, info: true, relax_column_count: false }),
  );
  input.on("error", (error) => parser.destroy(error));
  let header: { textAt: number[]; metricAt: number[]; dateAt: number } | null = null;
  const result: TableResult = { rows: 0, skippedRows: 0, pageviews: 0, from: null, to: null };
  let batch = newBatch(table);
  const pageviewsAt = shape.metrics.indexOf("pageviews");
  const countryAt = shape.texts.indexOf("country");
  const boundedAt = bouncesBound(table);
  const textCount = shape.texts.length;
  const metricCount = shape.metrics.length;
  let lastDay: string | null = null;
  /** Each day's sums per column so far, and the line that began it. */
  const days = new Map<string, { line: number; sums: number[] }>();
  const { from, to } = options.days;
  const fail = (line: number, reason: string): never => {
    throw new ImportInputError(`${file}, line ${line}: ${reason}`);
  };
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (!header) {
        header = readHeader(record, table, (reason) => fail(line, reason));
        continue;
      }
      const date = record[header.dateAt]!;
      // Rows come day by day: a day already checked is not parsed again.
      if (date !== lastDay) {
        if (!isDay(date)) fail(line, `"${clip(date)}" in column date is not a day (YYYY-MM-DD)`);
        if (date < from || date > to) fail(line, `${date} is outside the days the file's name covers (${from} to ${to})`);
        lastDay = date;
      }
      const texts: string[] = new Array(textCount);
      for (let i = 0; i < textCount; i++) {
        const at = header.textAt[i]!;
        let value = at < 0 ? "" : record[at]!;
        if (value.length > MAX_TEXT) fail(line, `the value in column ${shape.texts[i]} is longer than ${MAX_TEXT} characters`);
        // NUL, which PostgreSQL text cannot hold, and the other controls, which the rest of the
        // product refuses (a page with a line break in it could never be filtered on).
        if (!isStorableText(value)) fail(line, `the value in column ${shape.texts[i]} holds a control character (a line break, a tab, NUL…), which no page, source or name has`);
        if (NEUTRALISED.test(value)) value = value.slice(1);
        if (i === countryAt && value !== "" && !COUNTRY.test(value)) fail(line, `"${clip(value)}" in column country is not a two-letter country code (ISO 3166-1, like DE)`);
        texts[i] = value;
      }
      const metrics: number[] = new Array(metricCount);
      for (let i = 0; i < metricCount; i++) {
        const at = header.metricAt[i]!;
        const value = at < 0 ? "" : record[at]!;
        if (value === "") metrics[i] = 0;
        else if (!COUNT.test(value)) fail(line, `"${clip(value)}" in column ${shape.metrics[i]} is not a whole number of 0 or more`);
        else if ((metrics[i] = Number(value)) > MAX_DAY_SUM) fail(line, `${clip(value)} in column ${shape.metrics[i]} is more than ${MAX_DAY_SUM.toLocaleString("en-US")}, more than a day of any site`);
      }
      if (boundedAt && metrics[boundedAt.bounces]! > metrics[boundedAt.by]!) {
        fail(line, `${metrics[boundedAt.bounces]} bounces are more than the row's ${metrics[boundedAt.by]} ${shape.metrics[boundedAt.by]}: a bounce is one of them`);
      }
      addToDay(days, date, line, metrics, table, (reason) => fail(line, reason));
      if (!options.keep(date)) {
        result.skippedRows += 1;
        continue;
      }
      result.rows += 1;
      if (pageviewsAt >= 0) result.pageviews += metrics[pageviewsAt]!;
      if (!result.from || date < result.from) result.from = date;
      if (!result.to || date > result.to) result.to = date;
      batch.dates.push(date);
      for (let i = 0; i < textCount; i++) batch.texts[i]!.push(texts[i]!);
      for (let i = 0; i < metricCount; i++) batch.metrics[i]!.push(metrics[i]!);
      if (batch.dates.length >= batchRows) {
        await sink(batch);
        batch = newBatch(table);
      }
    }
  } catch (error) {
    if (error instanceof CsvError) throw new ImportInputError(`${file}, line ${(error as CsvError & { lines?: number }).lines ?? "?"}: ${csvReason(error)}`);
    throw error;
  }
  if (!header) throw new ImportInputError(`${file}: the file is empty (it needs at least a header line)`);
  if (batch.dates.length > 0) await sink(batch);
  return result;
}

/**
 * Adds a row to its day's sums: imported_visitors holds one row per day (Plausible's export
 * writes one), and no column of a day may add up to more than MAX_DAY_SUM.
 */
function addToDay(days: Map<string, { line: number; sums: number[] }>, date: string, line: number, metrics: number[], table: TableName, fail: (reason: string) => never): void {
  let day = days.get(date);
  if (!day) days.set(date, (day = { line, sums: metrics.map(() => 0) }));
  else if (table === "imported_visitors") fail(`${date} is here a second time (first on line ${day.line}); imported_visitors has one row per day`);
  for (let i = 0; i < metrics.length; i++) {
    day.sums[i]! += metrics[i]!;
    if (day.sums[i]! > MAX_DAY_SUM) fail(`column ${SHAPES[table].metrics[i]} adds up to more than ${MAX_DAY_SUM.toLocaleString("en-US")} for ${date}, more than a day of any site`);
  }
}

/**
 * A bounce is a visit of one page: a row's bounces are among its visits (its entrances on an
 * entry page, its exits on an exit page). Past them, bounce rates go over 100%.
 */
function bouncesBound(table: TableName): { bounces: number; by: number } | null {
  const metrics = SHAPES[table].metrics;
  const bounces = metrics.indexOf("bounces");
  const by = ["visits", "entrances", "exits"].map((name) => metrics.indexOf(name)).find((at) => at >= 0);
  return bounces >= 0 && by !== undefined ? { bounces, by } : null;
}

function newBatch(table: TableName): Batch {
  const shape = SHAPES[table];
  return { table, dates: [], texts: shape.texts.map(() => []), metrics: shape.metrics.map(() => []) };
}

function readHeader(record: string[], table: TableName, fail: (reason: string) => never) {
  const shape = SHAPES[table];
  const known = new Set(["date", ...shape.texts, ...shape.metrics, ...shape.ignored]);
  const names = record.map((name) => name.trim().toLowerCase());
  const seen = new Set<string>();
  for (const name of names) {
    if (!known.has(name)) fail(`unknown column "${clip(name)}" in the header; ${table} has the columns ${[...known].join(", ")}`);
    if (seen.has(name)) fail(`column ${name} appears twice in the header`);
    seen.add(name);
  }
  if (!seen.has("date")) fail(`the header has no date column (every row is a day's figures)`);
  return { dateAt: names.indexOf("date"), textAt: shape.texts.map((c) => names.indexOf(c)), metricAt: shape.metrics.map((c) => names.indexOf(c)) };
}

const clip = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

function csvReason(error: CsvError): string {
  switch (error.code) {
    case "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH":
      return "the line has a different number of fields than the header";
    case "CSV_MAX_RECORD_SIZE":
      return "the line is too long";
    case "CSV_QUOTE_NOT_CLOSED":
      return "a quoted field is not closed";
    default:
      return error.message.replace(/^Invalid [^:]*: /, "").replace(/ at line \d+.*$/, "");
  }
}
