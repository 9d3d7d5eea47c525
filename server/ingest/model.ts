import type { VisitsTable } from "../../db/schema.js";

// What ingestion works with, from the request to the rows it writes.

export interface RequestMeta {
  ip: string;
  userAgent: string;
  /** ISO 3166 alpha-2 from the trusted proxy header; "" when unknown. */
  country: string;
  now?: Date;
}

export type IngestResult = { accepted: true } | { accepted: false; reason: "bot" };

/** A visit ends after 30 minutes without events, as in Plausible and Google Analytics. */
export const VISIT_IDLE_MS = 30 * 60_000;

/** Dimensions fixed by a visit's first event and copied onto each of its events. */
export type VisitDims = Pick<VisitsTable, "entry_page" | "referrer_source" | "referrer" | "utm_source" | "utm_medium" | "utm_campaign" | "country" | "device" | "browser" | "os">;

/** An event that passed every check, with what the request told us about its visitor worked out. */
export interface PreparedEvent {
  siteId: string;
  /** The site's timezone when the event came. */
  timezone: string;
  ts: Date;
  /** The site-local day of ts. */
  day: string;
  name: string;
  pathname: string;
  pageview: boolean;
  visitorId: number;
  /** What the event's visit gets if the event starts one. */
  firstEvent: VisitDims;
  props: Record<string, string> | null;
}
