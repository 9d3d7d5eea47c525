import { z } from "zod";
import { charLength, isStorableText } from "./common.js";

/** The dimensions the dashboard breaks figures down by; each maps to one column in the stats queries. */
export const DIMENSIONS = [
  "page",
  "entry_page",
  "source",
  "referrer",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "country",
  "device",
  "browser",
  "os",
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * The whitelist of filterable dimensions: the breakdowns, plus `goal` (visits that converted the
 * goal of that name, or did not).
 */
export const FILTER_DIMENSIONS = [...DIMENSIONS, "goal"] as const;
export type FilterDimension = (typeof FILTER_DIMENSIONS)[number];

export const DIMENSION_LABELS: Record<FilterDimension, string> = {
  page: "Page",
  entry_page: "Entry page",
  source: "Source",
  referrer: "Referrer",
  utm_source: "UTM source",
  utm_medium: "UTM medium",
  utm_campaign: "UTM campaign",
  country: "Country",
  device: "Device",
  browser: "Browser",
  os: "Operating system",
  goal: "Goal",
};

export const OPERATORS = ["is", "is_not", "contains"] as const;
export type Operator = (typeof OPERATORS)[number];

export const OPERATOR_LABELS: Record<Operator, string> = {
  is: "is",
  is_not: "is not",
  contains: "contains",
};

export const MAX_FILTER_VALUES = 20;

/** "" is a real value: no referrer (Direct / None), unknown country, and so on. */
const filterValue = z
  .string({ error: "Values must be text" })
  .trim()
  .refine((s) => charLength(s) <= 500, "A value must be at most 500 characters")
  .refine(isStorableText, "Values cannot contain control characters or invalid text");

/** Goals are matched by name, whole: "contains" would be a guess at which goals were meant. */
export const GOAL_OPERATORS: readonly Operator[] = ["is", "is_not"];

export const filter = z
  .strictObject({
    dimension: z.enum(FILTER_DIMENSIONS, { error: "Choose a dimension from the list" }),
    operator: z.enum(OPERATORS, { error: "Choose an operator: is, is not or contains" }),
    values: z
      .array(filterValue, { error: "Give at least one value" })
      .min(1, "Give at least one value")
      .max(MAX_FILTER_VALUES, `Give at most ${MAX_FILTER_VALUES} values`),
  })
  .refine((f) => f.dimension !== "goal" || GOAL_OPERATORS.includes(f.operator), {
    path: ["operator"],
    message: "Filter goals with “is” or “is not”",
  });
export type Filter = z.output<typeof filter>;

export const filterList = (max: number) =>
  z.array(filter, { error: "Filters must be a list" }).max(max, `Use at most ${max} filters`);
