import { createLimiter } from "../concurrency.js";
import { TooManyRequests } from "../errors.js";
import { pauseBeforeRefusing, type RefusalPauses } from "../refusals.js";
import type { Clock } from "../clock.js";
import { createTokenBuckets } from "../token-buckets.js";

/**
 * A recipient's own filters make views nobody has asked for before, computed from raw rows (the
 * caches hold only unfiltered and segment views). Anyone holding an open link can make them up,
 * so they are bounded here, in memory and before any database work:
 * - per client network, a rate (a person clicking around stays far below it) and one view at a
 *   time with two more waiting;
 * - per link, two at a time, so many addresses together still cannot take every database
 *   connection that the stats engine's own limit (3 at once) allows.
 * Refusals are sent after a pause (`pauseBeforeRefusing`).
 */
const RATE = { perMinute: 60, burst: 20 };

export type ViewLimits = ReturnType<typeof viewLimits>;

/** This process's bounds on made-up views. */
export function viewLimits() {
  const rate = createTokenBuckets(RATE);
  const gate = createLimiter({ active: Number.MAX_SAFE_INTEGER, waiting: 0, message: "", retryAfterSeconds: 2 });
  return { rate, gate };
}

interface ViewContext {
  client: string;
  clock: Clock;
  limits: { views: ViewLimits; refusals: RefusalPauses };
}

export async function withinViewLimits<T>(ctx: ViewContext, link: string, filtered: boolean, work: () => Promise<T>): Promise<T> {
  if (!filtered) return work();
  const { client } = ctx;
  const { rate, gate } = ctx.limits.views;
  return pauseBeforeRefusing(ctx, async () => {
    // A fixed clock (tests) holds the rate still, however slowly its calls run.
    const wait = rate.take(`client:${client}`, ctx.clock.now().getTime());
    if (wait > 0) throw new TooManyRequests("You are asking for many different views in a short time. Please wait a moment and try again.", wait);
    return gate(work, [
      { key: `client:${client}`, max: 1, waiting: 2, message: "Your previous views are still being computed. Please wait a moment and try again." },
      { key: `link:${link}`, max: 2, waiting: 4, message: "This dashboard is busy right now. Please try again in a moment." },
    ]);
  });
}
