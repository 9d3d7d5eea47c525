import type { Clock } from "../clock.js";
import type { Db } from "../../db/client.js";
import { Forbidden } from "../errors.js";
import { DIMENSION_LABELS, type Dimension, type Filter } from "../schemas/filters.js";
import { type DateBounds, type ScopeSummary, type Section, SECTION_LABELS } from "../schemas/link-scope.js";
import { DEFAULT_PERIOD, PERIOD_LABELS, type Period } from "../schemas/stats.js";
import { localDay } from "../dates.js";
import { formatDay, formatRange } from "../schemas/display.js";
import { CURRENT_VISITOR_WINDOW_MS } from "../stats/dashboard.js";
import { type DayRange, resolvePeriod } from "../stats/period.js";
import { type StatsQuery, statsQuery } from "../stats/query.js";
import { Unauthorized } from "../errors.js";
import { findLink, findLinkById, isUnlocked, requireLive, type ShareLink, type Unlocks } from "./access.js";
import { readEmbedToken, tokenOpens } from "./embed-token.js";

/**
 * A link's scope applied to one request: the only way share data is asked for. Every share
 * endpoint (the page, `more`, the embed, the export, every `share.*` procedure) builds one of
 * these with `openView`, and the share stats functions take nothing else, so no path can forget
 * the segment, the bounds, a hidden section or a permission.
 */
export interface ScopedView {
  readonly link: ShareLink;
  /** The period to compute: the request's, replaced or clamped to fit the link. */
  readonly period: Period;
  /** The recipient's own filters, each checked against the link's permissions and sections. */
  readonly filters: Filter[];
  readonly segmentFilters: Filter[];
  readonly sections: readonly Section[];
  /** The previous period of the change badges lies within the bounds. */
  readonly previous: boolean;
  /** "Current visitors" (now) lies within the bounds. */
  readonly live: boolean;
  /** The period lies wholly before the link's earliest date: nothing is counted, and `notice` says why. */
  readonly empty: boolean;
  /** What the recipient is told about the period, when it is not simply what they asked for. */
  readonly notice: string | null;
  /** Filters an embed token adds: fixed like the segment's. */
  readonly lockedFilters: Filter[];
  /** An embed token fixed the period. */
  readonly periodLocked: boolean;
}

/** What the share page needs to know to offer only what the link allows. */
export function scopeSummary(view: ScopedView): ScopeSummary {
  const { link } = view;
  return {
    sections: [...view.sections],
    fixedPeriod: link.bounds?.kind === "fixed",
    since: link.bounds?.kind === "since" ? link.bounds.from : null,
    canChangePeriod: link.allowPeriodChange && link.bounds?.kind !== "fixed" && !view.periodLocked,
    canFilter: link.allowFilters,
    canExport: link.allowExport,
    notice: view.notice,
    lockedFilters: view.lockedFilters,
    embedOrigins: link.embedOrigins,
  };
}

export const EMBED_REVOKED = "This embedded dashboard is no longer available. Reload the page that shows it.";

/** Which link a request names: by its slug (pages, tools), or by an embed token alone (`/embed/<token>`). */
export interface LinkRef {
  slug?: string;
  token?: string;
}

/**
 * The gate (exists, live, unlocked) and the scope of one request, in one step. An embed token
 * opens a link instead of an unlock cookie (frames get no cookies), and can only narrow: it may
 * fix the period and add filters. A token names its link itself, so an embed's address needs no
 * slug, and whoever holds only the token cannot drop it to see more. A token that does not open
 * the link named beside it is refused, even for an open link, so an embed never silently shows
 * more than it was made for.
 */
export async function openView(db: Db, ref: LinkRef, unlocks: Unlocks, request: { period: Period; filters: Filter[] }, now: Date): Promise<ScopedView> {
  if (ref.token !== undefined) {
    const claims = readEmbedToken(ref.token, now);
    // A token's link id is signed, so it is one of ours; with a slug beside it, that slug's link.
    if (!claims && ref.slug === undefined) throw new Unauthorized(EMBED_REVOKED);
    const link = ref.slug !== undefined ? await findLink(db, ref.slug) : await findLinkById(db, claims!.linkId);
    requireLive(link, now);
    if (!claims || !tokenOpens(link, claims)) throw new Unauthorized(EMBED_REVOKED);
    return viewIn(link, { period: claims.period ?? request.period, filters: request.filters }, now, { filters: claims.filters, periodLocked: claims.period !== null });
  }
  const link = await findLink(db, ref.slug ?? "");
  requireLive(link, now);
  if (!isUnlocked(link, unlocks, now)) throw new Unauthorized("This dashboard is password protected");
  return viewIn(link, request, now);
}

/** The key a link's view limits count under: its slug, or the link a token names (a bad token: its own). */
export function linkKey(ref: LinkRef, now: Date): string {
  if (ref.slug !== undefined || ref.token === undefined) return `slug:${ref.slug ?? ""}`;
  return `id:${readEmbedToken(ref.token, now)?.linkId ?? "none"}`;
}

/** Pure: the scope of `link` applied to a request, at `now`, with what an embed token locks. */
export function viewIn(
  link: ShareLink,
  request: { period: Period; filters: Filter[] },
  now: Date,
  locked: { filters: Filter[]; periodLocked: boolean } = { filters: [], periodLocked: false },
): ScopedView {
  checkFilters(link, request.filters);
  const today = localDay(now, link.site.timezone);
  const { period, previous, notice, empty } = periodIn(link, request.period, now);
  const bounds = link.bounds;
  // "Now" is the last few minutes, which may start on the day before: all of it must be inside.
  const windowStart = localDay(new Date(now.getTime() - CURRENT_VISITOR_WINDOW_MS), link.site.timezone);
  const live = !empty && (!bounds || (bounds.from <= windowStart && (bounds.kind === "since" || bounds.to >= today)));
  return {
    link,
    period,
    filters: request.filters,
    segmentFilters: [...(link.segment?.filters ?? []), ...locked.filters],
    sections: link.sections,
    previous,
    live,
    empty,
    notice,
    lockedFilters: locked.filters,
    periodLocked: locked.periodLocked,
  };
}

/**
 * A digest's view of the link: the digest's week or month, cut to the link's dates; its segment
 * and sections as for any recipient. Nobody filters a mail, so the permissions have nothing to
 * check. The previous period (for the change figures) counts only when all of it is inside the
 * dates too. Null when no day of the period is.
 */
export function digestView(link: ShareLink, range: { from: string; to: string }, before: { from: string; to: string }): ScopedView | null {
  const bounds = link.bounds;
  const from = bounds && bounds.from > range.from ? bounds.from : range.from;
  const to = bounds?.kind === "fixed" && bounds.to < range.to ? bounds.to : range.to;
  if (from > to) return null;
  const whole = from === range.from && to === range.to;
  return {
    link,
    period: { key: "custom", from, to },
    filters: [],
    segmentFilters: [...(link.segment?.filters ?? [])],
    sections: link.sections,
    previous: whole && (!bounds || bounds.from <= before.from),
    live: false,
    empty: false,
    notice: whole ? null : "Only the part of this period within the dates the link shows is counted.",
    lockedFilters: [],
    periodLocked: true,
  };
}

/**
 * The one query a recipient's figures are computed from: the segment and the embed's locks ANDed
 * with the recipient's filters, the period fitted to the bounds, only the sections the link shows,
 * and the badges and "now" only where they lie within its dates. `previous` replaces the period's
 * own previous range (a digest compares with the week or month before).
 */
export function linkQuery(view: ScopedView, clock: Clock, options: { limit?: number; previous?: DayRange } = {}): StatsQuery {
  return statsQuery(view.link.site, {
    period: view.period,
    filters: view.filters,
    fixedFilters: view.segmentFilters,
    sections: view.sections,
    previous: view.previous && (options.previous ?? true),
    live: view.live,
    empty: view.empty,
    limit: options.limit,
    clock,
  });
}

/** A hidden section is not reachable on its own either (`more`, one-section export). */
export function requireSection(view: ScopedView, section: Section): void {
  if (!view.sections.includes(section)) throw new Forbidden(`This shared link does not show ${SECTION_LABELS[section]}`, "section");
}

export function requireExport(view: ScopedView): void {
  if (!view.link.allowExport) throw new Forbidden("This shared link does not allow downloads");
}

/**
 * The first filter on a dimension the link hides: a filter is a probe, so a hidden section cannot
 * be filtered by, by a recipient or by an embed made for them.
 */
export const hiddenFilter = (link: Pick<ShareLink, "sections">, filters: readonly Filter[]): Filter | undefined =>
  filters.find((f) => f.dimension !== "goal" && !link.sections.includes(f.dimension as Dimension));

/** A filter is a probe: none where the link forbids them, none on a dimension it hides. */
function checkFilters(link: ShareLink, filters: Filter[]): void {
  if (filters.length === 0) return;
  if (!link.allowFilters) throw new Forbidden("This shared link does not allow filters", "filters");
  const hidden = hiddenFilter(link, filters);
  if (hidden) {
    throw new Forbidden(`This shared link does not show ${DIMENSION_LABELS[hidden.dimension]}, so it cannot be filtered by it`, "filters");
  }
}

function periodIn(link: ShareLink, requested: Period, now: Date): { period: Period; previous: boolean; notice: string | null; empty: boolean } {
  const bounds: DateBounds | null = link.bounds;
  if (bounds?.kind === "fixed") return { period: { key: "custom", from: bounds.from, to: bounds.to }, previous: false, notice: null, empty: false };
  let period = requested;
  let notice: string | null = null;
  if (!link.allowPeriodChange && !samePeriod(requested, { key: DEFAULT_PERIOD })) {
    period = { key: DEFAULT_PERIOD };
    notice = `This link always shows ${PERIOD_LABELS[DEFAULT_PERIOD].toLowerCase()}.`;
  }
  if (!bounds) return { period, previous: true, notice, empty: false };
  const range = resolvePeriod(period, link.site.timezone, now);
  if (range.from >= bounds.from) return { period, previous: !!range.previous && range.previous.from >= bounds.from, notice, empty: false };
  // Wholly before the earliest date: the period asked for, with nothing in it (its first day
  // moved to the since-date would show that day's figures as if they were the period's).
  if (range.to < bounds.from) {
    return { period, previous: false, notice: `${range.key === "custom" ? formatRange(range.from, range.to) : range.label} ends before ${formatDay(bounds.from)}, the earliest date this link shows, so there is nothing to show.`, empty: true };
  }
  // Clamped, never widened: the part before the earliest date is cut off.
  return {
    period: { key: "custom", from: bounds.from, to: range.to },
    previous: false,
    notice: `${range.label} starts before the earliest date this link shows, so it was shortened.`,
    empty: false,
  };
}

function samePeriod(a: Period, b: Period): boolean {
  return a.key === b.key && (a.key !== "custom" || (a.from === b.from && a.to === b.to));
}
