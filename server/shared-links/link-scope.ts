import type { SharedLink, SharedLinkUpdate } from "../../db/schema.js";
import { jsonb } from "../../db/json.js";
import { Invalid } from "../errors.js";
import { type DateBounds, SECTIONS, type Section } from "../schemas/link-scope.js";

/** What `sharedLinks.create` and `update` take about a link's lifecycle and scope (SPEC §3a). */
export interface ScopeInput {
  expiresAt?: Date | null;
  paused?: boolean;
  dateBounds?: DateBounds | null;
  visibleSections?: Section[];
  allowPeriodChange?: boolean;
  allowFilters?: boolean;
  allowExport?: boolean;
  embedOrigins?: string[];
}

export type LinkState = "active" | "paused" | "expired";

type ScopeColumns = Pick<
  SharedLink,
  "expires_at" | "paused_at" | "bounds_from" | "bounds_to" | "visible_sections" | "allow_period_change" | "allow_filters" | "allow_export" | "embed_origins"
>;

/** Paused wins over expired: resuming alone would not bring an expired link back. */
export function linkState(row: Pick<SharedLink, "expires_at" | "paused_at">, now: Date): LinkState {
  if (row.paused_at) return "paused";
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return "expired";
  return "active";
}

/** Stored sections, read defensively: null (or anything unreadable) means every section. */
export function sectionsOf(stored: unknown): Section[] {
  if (!Array.isArray(stored)) return [...SECTIONS];
  return SECTIONS.filter((s) => stored.includes(s));
}

export function boundsOf(row: Pick<SharedLink, "bounds_from" | "bounds_to">): DateBounds | null {
  if (!row.bounds_from) return null;
  return row.bounds_to ? { kind: "fixed", from: row.bounds_from, to: row.bounds_to } : { kind: "since", from: row.bounds_from };
}

/** The columns an input sets; what it leaves out stays as it is. */
export function scopeColumns(input: ScopeInput, before: Pick<SharedLink, "paused_at" | "expires_at"> | null, now: Date): SharedLinkUpdate {
  const set: SharedLinkUpdate = {};
  if (input.expiresAt !== undefined) {
    // Forms send the expiry to the minute: the one already set, sent back unchanged, is kept.
    const minute = (d: Date) => Math.floor(d.getTime() / 60_000);
    const unchanged = input.expiresAt && before?.expires_at && minute(before.expires_at) === minute(input.expiresAt);
    // A past expiry is a mistake in a form; stopping a link now is what pausing is for.
    if (input.expiresAt && !unchanged && input.expiresAt.getTime() <= now.getTime()) {
      throw new Invalid("The expiry must be in the future. To stop the link now, pause it.", "expiresAt");
    }
    if (!unchanged) {
      set.expires_at = input.expiresAt;
      // Lifting or moving an expiry that has passed brings the link back, but not what was handed
      // out before: a new revival time changes the fingerprint every unlock and embed token is bound
      // to, as a resume does. Only an update can revive a link, so no job has to watch the clock.
      if (before?.expires_at && before.expires_at.getTime() <= now.getTime()) set.resumed_at = now;
    }
  }
  if (input.paused !== undefined && input.paused !== Boolean(before?.paused_at)) {
    if (input.paused) set.paused_at = now;
    // A new resume time changes every unlock's fingerprint: unlocks do not survive a pause.
    else Object.assign(set, { paused_at: null, resumed_at: now });
  }
  if (input.dateBounds !== undefined) {
    set.bounds_from = input.dateBounds?.from ?? null;
    set.bounds_to = input.dateBounds?.kind === "fixed" ? input.dateBounds.to : null;
  }
  if (input.visibleSections !== undefined) {
    const all = input.visibleSections.length === SECTIONS.length;
    set.visible_sections = all ? null : jsonb(input.visibleSections);
  }
  if (input.allowPeriodChange !== undefined) set.allow_period_change = input.allowPeriodChange;
  if (input.allowFilters !== undefined) set.allow_filters = input.allowFilters;
  if (input.allowExport !== undefined) set.allow_export = input.allowExport;
  if (input.embedOrigins !== undefined) set.embed_origins = input.embedOrigins.length ? jsonb(input.embedOrigins) : null;
  return set;
}

/** The scope as the API shows it, under the names SPEC §3a and the issue tracker fixed for tools. */
export function scopeDto(row: ScopeColumns, now: Date) {
  return {
    state: linkState(row, now),
    expiresAt: row.expires_at?.toISOString() ?? null,
    paused: row.paused_at !== null,
    pausedAt: row.paused_at?.toISOString() ?? null,
    dateBounds: boundsOf(row),
    visibleSections: sectionsOf(row.visible_sections),
    allowPeriodChange: row.allow_period_change,
    allowFilters: row.allow_filters,
    allowExport: row.allow_export,
    embedOrigins: originsOf(row.embed_origins),
  };
}

/** Stored origins, read defensively: null (or anything unreadable) is no restriction. */
export function originsOf(stored: unknown): string[] {
  return Array.isArray(stored) ? stored.filter((o): o is string => typeof o === "string") : [];
}
