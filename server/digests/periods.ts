import type { DigestFrequency } from "../schemas/digests.js";
import { addDays, addMonths, localDay, zonedTime } from "../dates.js";

/** Site-local days a digest covers, and the instants it starts and ends. */
export interface DigestPeriod {
  frequency: DigestFrequency;
  from: string;
  to: string;
  startsAt: Date;
  endsAt: Date;
}

/**
 * A digest waits this long after its period ends: events are written in batches and the last
 * visits of the period close a little later, so the figures it shows are the final ones.
 */
export const SETTLE_AFTER_MS = 10 * 60_000;

/**
 * The latest period that has ended at `now` in the site's time zone: Monday to Sunday for weekly
 * digests, the calendar month for monthly ones. Only the latest: after an outage of several
 * periods, one digest is due, not a backlog.
 */
export function lastCompletePeriod(frequency: DigestFrequency, timezone: string, now: Date): DigestPeriod {
  return periodBefore(frequency, timezone, currentStart(frequency, localDay(now, timezone)));
}

/** The period running at `now`: its digest is the next one. */
export function nextPeriod(frequency: DigestFrequency, timezone: string, now: Date): DigestPeriod {
  const start = currentStart(frequency, localDay(now, timezone));
  return periodBefore(frequency, timezone, frequency === "weekly" ? addDays(start, 7) : addMonths(start, 1));
}

/** The first day of the week (Monday) or month that contains `day`. */
function currentStart(frequency: DigestFrequency, day: string): string {
  if (frequency === "monthly") return `${day.slice(0, 7)}-01`;
  const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday = 0
  return addDays(day, -weekday);
}

function periodBefore(frequency: DigestFrequency, timezone: string, next: string): DigestPeriod {
  const from = frequency === "weekly" ? addDays(next, -7) : addMonths(next, -1);
  return { frequency, from, to: addDays(next, -1), startsAt: zonedTime(from, timezone), endsAt: zonedTime(next, timezone) };
}

/** The period of the same kind just before: for the change figures. */
export function previousPeriod(period: Pick<DigestPeriod, "frequency" | "from">): { from: string; to: string } {
  const from = period.frequency === "weekly" ? addDays(period.from, -7) : addMonths(period.from, -1);
  return { from, to: addDays(period.from, -1) };
}

/** Due once it has ended and settled, and only if it ended after the recipient and the schedule were added. */
export function isDue(period: DigestPeriod, now: Date, subscribedAt: Date, scheduledAt: Date): boolean {
  const end = period.endsAt.getTime();
  return now.getTime() >= end + SETTLE_AFTER_MS && end > subscribedAt.getTime() && end > scheduledAt.getTime();
}
