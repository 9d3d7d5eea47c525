import { z } from "zod";
import { filterList } from "./filters.js";

export const PERIODS = ["today", "7d", "30d", "month", "12mo", "custom"] as const;
export type PeriodKey = (typeof PERIODS)[number];

export const PERIOD_LABELS: Record<PeriodKey, string> = {
  today: "Today",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  month: "This month",
  "12mo": "Last 12 months",
  custom: "Custom range",
};

/** What a dashboard shows when its address names no period. */
export const DEFAULT_PERIOD: PeriodKey = "30d";

/** Extra filters a dashboard viewer may add on top of a segment. */
export const MAX_VIEW_FILTERS = 10;

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Use a date like 2026-01-31");

/** What a dashboard asks for: a period in the site's timezone and filters that are ANDed. */
export const period = z
  .strictObject({
    key: z.enum(PERIODS, { error: "Choose a period from the list" }),
    from: isoDay.optional(),
    to: isoDay.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.key !== "custom") return;
    if (!p.from || !p.to) ctx.addIssue({ code: "custom", path: ["from"], message: "Pick both a start and an end date" });
    else if (p.from > p.to) ctx.addIssue({ code: "custom", path: ["to"], message: "The end date must be on or after the start date" });
  });
export type Period = z.output<typeof period>;

export const statsQuery = {
  period,
  filters: filterList(MAX_VIEW_FILTERS).default([]),
};
