import { env } from "../env.js";
import { TooManyRequests, Unavailable } from "../errors.js";
import { countryOf } from "../ingest/countries.js";
import { assertIngestAllowed } from "../ingest/ingest-limits.js";
import { acceptEvent } from "../ingest/ingest.js";
import { pauseBeforeRefusing } from "../refusals.js";
import { eventPayload } from "../schemas/events.js";
import { nowFrom } from "../stats/clock.js";
import { publicProcedure, router } from "../trpc.js";

export const eventsRouter = router({
  /**
   * What POST /api/event calls: public, cookie-less, identified only by the daily-salted hash.
   * Accepted events are written within the flush interval (INGEST_FLUSH_MS), with others.
   */
  ingest: publicProcedure.input(eventPayload).mutation(({ ctx, input }) =>
    pauseBeforeRefusing(
      ctx,
      async () => {
        assertIngestAllowed(ctx.client);
        // A trusted proxy's country header wins; otherwise the address is looked up (and not kept).
        const country = ctx.country || countryOf(ctx.ip, env().geoipDatabase);
        return acceptEvent(ctx.db, input, { ip: ctx.ip, userAgent: ctx.userAgent, country, now: nowFrom(ctx) });
      },
      // A full buffer's 503 is paused like a 429: a flood answered at once would keep the
      // process parsing refused events instead of writing the ones it holds.
      (error) => error instanceof TooManyRequests || error instanceof Unavailable,
    ),
  ),
});
