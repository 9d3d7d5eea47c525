import { strToU8, zipSync } from "fflate";
import type { ExportTable } from "../../server/share/export.js";
import { displayValue } from "../../server/schemas/display.js";

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return) as a formula:
 * a page path or referrer is anyone's text, so such cells get a leading apostrophe.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number): string {
  if (typeof value === "number") return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One table as CSV (RFC 4180, CRLF), values labelled as the dashboard labels them. */
export function toCsv(table: ExportTable): string {
  const { dimension } = table;
  const country = dimension === "country";
  const header = country ? [table.header[0]!, "country_code", ...table.header.slice(1)] : table.header;
  const rows = table.rows.map((row) => {
    if (!dimension) return row;
    const [value, ...rest] = row as [string, ...(string | number)[]];
    return country ? [displayValue(dimension, value), value, ...rest] : [displayValue(dimension, value), ...rest];
  });
  return [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

/** Several tables as one zip of CSV files. */
export function toZip(tables: ExportTable[]): Uint8Array {
  // A fixed time inside the zip, so the same view downloads as the same bytes.
  const mtime = new Date("2026-01-01T00:00:00Z");
  return zipSync(Object.fromEntries(tables.map((t) => [`${t.name}.csv`, [strToU8(toCsv(t)), { mtime }]])));
}
