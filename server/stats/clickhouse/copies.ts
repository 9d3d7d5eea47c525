import { addDays } from "../../dates.js";
import type { Store } from "./store.js";

/** A finished copy of a site's days, as listed in `copies`. */
export interface Copy {
  copy: string;
  version: number;
  from: string;
  to: string;
  copiedAt: string;
  visits: number;
  events: number;
}

/** Days a view reads from one copy's rows. */
export interface Segment {
  copy: string;
  from: string;
  to: string;
}

export interface Coverage {
  /** Every day before it is in the copy (under `version`); null when none is. */
  through: string | null;
  segments: Segment[];
  /** Copies of the site that no day is read from any more (an older version, or copied again). */
  superseded: Copy[];
}

export async function listCopies(store: Store, siteId: string): Promise<Copy[]> {
  const rows = await store.answer(
    `SELECT copy, version, toString(from_day) AS from, toString(to_day) AS to, toString(copied_at) AS copied_at, visits, events FROM copies WHERE site_id = {site:String}`,
    { site: siteId },
  );
  return rows.map((r) => ({ copy: String(r.copy), version: Number(r.version), from: String(r.from), to: String(r.to), copiedAt: String(r.copied_at), visits: Number(r.visits), events: Number(r.events) }));
}

/**
 * Which copy each day is read from: the newest copy of the site's current stats version that holds
 * it (a day copied again is read from its new copy only). Days count as copied from the first
 * copied day on, without a gap; the site has no visits before its first copy began.
 */
export function coverage(copies: Copy[], version: number): Coverage {
  const current = copies.filter((c) => c.version === version).sort((a, b) => (a.copiedAt < b.copiedAt ? -1 : a.copiedAt > b.copiedAt ? 1 : a.copy < b.copy ? -1 : 1));
  const owner = new Map<string, Copy>();
  for (const copy of current) for (let day = copy.from; day <= copy.to; day = addDays(day, 1)) owner.set(day, copy);
  const days = [...owner.keys()].sort();
  const segments: Segment[] = [];
  let through: string | null = null;
  for (const day of days) {
    if (through !== null && day !== through) break;
    const copy = owner.get(day)!.copy;
    const last = segments[segments.length - 1];
    if (last && last.copy === copy) last.to = day;
    else segments.push({ copy, from: day, to: day });
    through = addDays(day, 1);
  }
  const used = new Set(segments.map((s) => s.copy));
  return { through, segments, superseded: copies.filter((c) => !used.has(c.copy)) };
}
