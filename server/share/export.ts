import type { StatsServices } from "../stats/dashboard.js";
import { DIMENSION_LABELS, type Dimension } from "../schemas/filters.js";
import type { Section } from "../schemas/link-scope.js";
import type { DashboardStats } from "../stats/types.js";
import { requireExport, requireSection, type ScopedView } from "./scope.js";
import { shareDashboard } from "./share-stats.js";

/** Rows per breakdown in a download: every value a site realistically has, bounded all the same. */
export const EXPORT_ROWS = 1000;

export interface ExportTable {
  /** File name without extension: "totals", "visitors-over-time", "countries"… */
  name: string;
  /** For breakdowns: the dimension of the first column, whose raw values a reader may want to label. */
  dimension?: Dimension;
  header: string[];
  rows: (string | number)[][];
}

/** What a download may name on its own: a section, or the two parts every view has. */
export type ExportPart = Section | "totals" | "goals";

const FILE_NAMES: Record<Dimension, string> = {
  page: "pages",
  entry_page: "entry-pages",
  source: "sources",
  referrer: "referrers",
  utm_source: "utm-sources",
  utm_medium: "utm-mediums",
  utm_campaign: "utm-campaigns",
  country: "countries",
  device: "devices",
  browser: "browsers",
  os: "operating-systems",
};

/**
 * Exactly what the recipient's view shows (scope, period, filters), as tables: the totals, the
 * series and each visible breakdown (up to EXPORT_ROWS values, not only the top few), and goals.
 */
export async function exportView(stats: StatsServices, view: ScopedView, part?: ExportPart): Promise<{ range: DashboardStats["range"]; tables: ExportTable[] }> {
  requireExport(view);
  if (part && part !== "totals" && part !== "goals") requireSection(view, part);
  const figures = await shareDashboard(stats, view, { limit: EXPORT_ROWS });
  const tables = tablesOf(figures);
  const wanted = part ? tables.filter((t) => t.part === part) : tables;
  return { range: figures.range, tables: wanted.map(({ part: _, ...table }) => table) };
}

function tablesOf(stats: DashboardStats): (ExportTable & { part: ExportPart })[] {
  const { totals } = stats;
  const tables: (ExportTable & { part: ExportPart })[] = [
    {
      part: "totals",
      name: "totals",
      header: ["from", "to", "visitors", "visits", "pageviews", "views_per_visit", "bounce_rate_percent", "visit_duration_seconds"],
      rows: [[stats.range.from, stats.range.to, totals.visitors, totals.visits, totals.pageviews, totals.viewsPerVisit, totals.bounceRate, totals.visitDuration]],
    },
  ];
  if (stats.series) {
    tables.push({
      part: "series",
      name: "visitors-over-time",
      header: [stats.range.interval, "visitors", "pageviews"],
      rows: stats.series.map((p) => [p.bucket, p.visitors, p.pageviews]),
    });
  }
  for (const b of stats.breakdowns) {
    tables.push({
      part: b.dimension,
      name: FILE_NAMES[b.dimension],
      dimension: b.dimension,
      header: [DIMENSION_LABELS[b.dimension].toLowerCase().replaceAll(" ", "_"), "visitors", b.dimension === "page" ? "pageviews" : "visits", "percent_of_visitors"],
      rows: b.rows.map((r) => [r.value, r.visitors, r.count, r.percentage]),
    });
  }
  if (stats.goals.length > 0) {
    tables.push({
      part: "goals",
      name: "goals",
      header: ["goal", "converting_visitors", "conversions", "conversion_rate_percent"],
      rows: stats.goals.map((g) => [g.name, g.visitors, g.conversions, g.conversionRate]),
    });
  }
  return tables;
}
