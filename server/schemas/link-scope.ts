import { z } from "zod";
import { daysBetween, isRealDay, MAX_RANGE_DAYS } from "../dates.js";
import { DIMENSIONS, type Filter } from "./filters.js";

/** The parts of a shared dashboard an owner can show or hide: the time series and each breakdown. */
export const SECTIONS = ["series", ...DIMENSIONS] as const;
export type Section = (typeof SECTIONS)[number];

export const SECTION_LABELS: Record<Section, string> = {
  series: "Visitors over time",
  page: "Top pages",
  entry_page: "Entry pages",
  source: "Sources",
  referrer: "Referrers",
  utm_source: "UTM sources",
  utm_medium: "UTM mediums",
  utm_campaign: "UTM campaigns",
  country: "Countries",
  device: "Devices",
  browser: "Browsers",
  os: "Operating systems",
};

const day = (label: string) =>
  z
    .string({ error: `${label}: use a date like 2026-07-01` })
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${label}: use a date like 2026-07-01`)
    .refine(isRealDay, `${label} is not a date in the calendar`)
    .refine((d) => d >= "1970-01-01", `${label}: pick a date from 1970 on`);

/**
 * A fixed period shows exactly `from`–`to` (no picker); `since` hides everything before `from`.
 * Days are site-local, like every period of the dashboard.
 */
export const dateBounds = z.discriminatedUnion(
  "kind",
  [
    z
      .strictObject({ kind: z.literal("fixed"), from: day("Start date"), to: day("End date") })
      .refine((b) => b.to >= b.from, { path: ["to"], message: "The end date must be on or after the start date" })
      // A longer fixed period could never be shown: the dashboard refuses it.
      .refine((b) => b.to < b.from || daysBetween(b.from, b.to) <= MAX_RANGE_DAYS, { path: ["to"], message: "A fixed period is at most 10 years" }),
    z.strictObject({ kind: z.literal("since"), from: day("Earliest date") }),
  ],
  { error: "Date bounds are { kind: \"fixed\", from, to } or { kind: \"since\", from }" },
);
export type DateBounds = z.output<typeof dateBounds>;

export const visibleSections = z
  .array(z.enum(SECTIONS, { error: `Sections are ${SECTIONS.join(", ")}` }), { error: "Visible sections must be a list" })
  .max(SECTIONS.length * 2, "List each section once")
  // Stored in the dashboard's own order, once each, so two spellings of one choice compare equal.
  .transform((list) => SECTIONS.filter((s) => list.includes(s)));

/** An instant with its offset ("2026-12-31T23:59:00Z", "…+01:00"); it must still be ahead. */
export const expiresAt = z.iso
  .datetime({ offset: true, error: "Give the expiry as an ISO 8601 date and time, like 2026-12-31T18:00:00Z" })
  .transform((s) => new Date(s));

/** An embed token lives at most this long (SPEC §4: 24 hours), an hour unless asked. */
export const EMBED_MAX_MINUTES = 24 * 60;
export const EMBED_DEFAULT_MINUTES = 60;

/** A site that may frame the embed, as its origin: "https://client.example" (a port if it has one). */
const embedOrigin = z
  .string({ error: "Give each site as an address like https://client.example" })
  .trim()
  .max(200, "An address is at most 200 characters")
  .transform((value, ctx) => {
    const url = URL.canParse(value) ? new URL(value) : null;
    if (!url || !["http:", "https:"].includes(url.protocol) || url.username || url.password || (url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
      ctx.addIssue({ code: "custom", message: `“${value}” is not a site address like https://client.example` });
      return z.NEVER;
    }
    return url.origin;
  });

export const embedOrigins = z
  .array(embedOrigin, { error: "Allowed sites are a list of addresses" })
  .max(20, "List at most 20 sites")
  .transform((list) => [...new Set(list)]);

/** The scope fields that `sharedLinks.create` and `update` take; absent on update keeps the value. */
export const scopeFields = {
  expiresAt: expiresAt.nullable().optional(),
  paused: z.boolean({ error: "Paused is true or false" }).optional(),
  dateBounds: dateBounds.nullable().optional(),
  visibleSections: visibleSections.optional(),
  allowPeriodChange: z.boolean({ error: "allowPeriodChange is true or false" }).optional(),
  allowFilters: z.boolean({ error: "allowFilters is true or false" }).optional(),
  allowExport: z.boolean({ error: "allowExport is true or false" }).optional(),
  /** Sites allowed to frame the embed; [] lets any site frame it. */
  embedOrigins: embedOrigins.optional(),
};

/** What a share page is told about its link's scope, to offer only what the link allows. */
export interface ScopeSummary {
  sections: Section[];
  fixedPeriod: boolean;
  /** The earliest day shown, for a link bounded by a start date. */
  since: string | null;
  canChangePeriod: boolean;
  canFilter: boolean;
  canExport: boolean;
  /** Why the period shown differs from the one asked for, in words. */
  notice: string | null;
  /** Filters an embed token adds, shown like the segment's: fixed. */
  lockedFilters: Filter[];
  /** Sites allowed to frame the embed (CSP frame-ancestors); empty: any site. */
  embedOrigins: string[];
}
