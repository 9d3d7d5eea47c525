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
  pageviews: number;
  rows: number;
  /** Which days were left out and why ("" when none). */
  skipped: string;
  error: string | null;
  createdAt: string;
  completedAt: string | null;
}

