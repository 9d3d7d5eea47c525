import { z } from "zod";
import { id, siteRef } from "./common.js";

export const listImportsInput = z.strictObject({ site: siteRef });

export const importRefInput = z.strictObject({ site: siteRef, id: id("Import") });

export const includeImportedInput = z.strictObject({
  site: siteRef,
  include: z.boolean({ error: "Say whether dashboards include imported data" }),
});

/** An import as lists and the CLI show it. */
export interface ImportSummary {
  id: string;
  source: string;
  files: string;
  status: "uploading" | "pending" | "running" | "completed" | "failed";
  /** 0–100 while it runs. */
  progress: number;
  /** The days it added, once completed. */
  from: string | null;
  to: string | null;
  /** The pageviews dashboards' totals gain: imported_visitors's, 0 without that table. */
  pageviews: number;
  /** The tables it added rows to (imported_visitors, imported_pages, …). */
  tables: string[];
  rows: number;
  /** Which days were left out and why ("" when none). */
  skipped: string;
  error: string | null;
  createdAt: string;
  completedAt: string | null;
}


/**
 * What a completed import adds, in words: its pageviews when it has imported_visitors (the only
 * table totals come from); otherwise which breakdowns it holds, without totals.
 */
export function describeAdded(item: Pick<ImportSummary, "pageviews" | "tables">): string {
  if (item.tables.includes("imported_visitors")) return `${item.pageviews.toLocaleString("en-US")} pageviews`;
  if (item.tables.length === 0) return "no days";
  return `no totals (no imported_visitors); breakdowns from ${item.tables.map((t) => t.replace(/^imported_/, "").replaceAll("_", " ")).join(", ")}`;
}
