import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { addDays, eachDay, localDay } from "../dates.js";

/** Days a link's usage page and the list's totals cover. */
export const USAGE_DAYS = 30;
/** A spike of failed unlocks: at least this many in the last hour… */
export const SPIKE_MIN = 20;
/** …and this many times the link's usual hourly rate over the week before. */
export const SPIKE_FACTOR = 5;

export interface UsageDay {
  day: string;
  views: number;
  viewers: number;
  failedUnlocks: number;
}

export interface UnlockSpike {
  lastHour: number;
  usualPerHour: number;
}

const HOUR = 3600_000;

/** A link's views, unique viewers and failed unlocks by site-local day, and whether failed unlocks spike now. */
export async function linkUsage(db: Db, link: { id: string; timezone: string }, now = new Date()) {
  const today = localDay(now, link.timezone);
  const from = addDays(today, -(USAGE_DAYS - 1));
  const [views, viewers, failures] = await Promise.all([
    db.selectFrom("link_usage_daily").select(["day", "views"]).where("link_id", "=", link.id).where("day", ">=", from).execute(),
    db
      .selectFrom("link_viewers")
      .select(["day", (eb) => eb.fn.countAll<number>().as("viewers")])
      .where("link_id", "=", link.id)
      .where("day", ">=", from)
      .groupBy("day")
      .execute(),
    db
      .selectFrom("link_failed_unlocks")
      .select(["hour", "failures"])
      .where("link_id", "=", link.id)
      .where("hour", ">=", new Date(now.getTime() - (USAGE_DAYS + 1) * 24 * HOUR))
      .execute(),
  ]);
  const days = new Map<string, UsageDay>(eachDay(from, today).map((day) => [day, { day, views: 0, viewers: 0, failedUnlocks: 0 }]));
  for (const row of views) days.get(row.day)!.views = row.views;
  for (const row of viewers) days.get(row.day)!.viewers = Number(row.viewers);
  for (const row of failures) {
    const day = days.get(localDay(row.hour, link.timezone));
    if (day) day.failedUnlocks += row.failures;
  }
  const list = [...days.values()];
  return {
    days: list,
    totals: {
      views: list.reduce((n, d) => n + d.views, 0),
      /** Summed by day: a viewer of two days counts twice, like site visitors. */
      viewers: list.reduce((n, d) => n + d.viewers, 0),
      failedUnlocks: list.reduce((n, d) => n + d.failedUnlocks, 0),
    },
    spike: spikeOf(failures, now),
  };
}

/** Failed unlocks in the last hour against the week before: a spike is ≥ SPIKE_MIN and ≥ SPIKE_FACTOR × usual. */
export function spikeOf(failures: { hour: Date; failures: number }[], now: Date): UnlockSpike | null {
  const recentFrom = now.getTime() - HOUR;
  const weekFrom = now.getTime() - 8 * 24 * HOUR;
  let lastHour = 0;
  let before = 0;
  for (const row of failures) {
    const t = row.hour.getTime();
    // The current hour's bucket and the previous one: the last hour, never less.
    if (t + HOUR > recentFrom) lastHour += row.failures;
    else if (t >= weekFrom) before += row.failures;
  }
  const usualPerHour = before / (7 * 24);
  return lastHour >= SPIKE_MIN && lastHour >= SPIKE_FACTOR * usualPerHour ? { lastHour, usualPerHour: Math.round(usualPerHour * 100) / 100 } : null;
}

/** For the list: each link's unique viewers over USAGE_DAYS and its failed-unlock spike, if any. */
export async function siteUsage(db: Db, siteId: string, timezone: string, now = new Date()) {
  const from = addDays(localDay(now, timezone), -(USAGE_DAYS - 1));
  const [viewers, failures] = await Promise.all([
    sql<{ link_id: string; viewers: number }>`
      select v.link_id, count(*)::int as viewers from link_viewers v join shared_links l on l.id = v.link_id
      where l.site_id = ${siteId} and v.day >= ${from} group by v.link_id`.execute(db),
    sql<{ link_id: string; hour: Date; failures: number }>`
      select f.link_id, f.hour, f.failures from link_failed_unlocks f join shared_links l on l.id = f.link_id
      where l.site_id = ${siteId} and f.hour >= ${new Date(now.getTime() - 8 * 24 * HOUR)}`.execute(db),
  ]);
  const byLink = new Map<string, { viewers: number; spike: UnlockSpike | null }>();
  for (const row of viewers.rows) byLink.set(row.link_id, { viewers: Number(row.viewers), spike: null });
  const failuresByLink = new Map<string, { hour: Date; failures: number }[]>();
  for (const row of failures.rows) failuresByLink.set(row.link_id, [...(failuresByLink.get(row.link_id) ?? []), { hour: new Date(row.hour), failures: row.failures }]);
  for (const [linkId, rows] of failuresByLink) {
    const entry = byLink.get(linkId) ?? { viewers: 0, spike: null };
    entry.spike = spikeOf(rows, now);
    byLink.set(linkId, entry);
  }
  return byLink;
}
