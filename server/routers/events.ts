import { assertIngestAllowed } from "../ingest/ingest-limits.js";
import { ingestEvent } from "../ingest/ingest.js";
import { pauseBeforeRefusing } from "../refusals.js";
import { eventPayload } from "../schemas/events.js";
import { nowFrom } from "../stats/clock.js";
import { publicProcedure, router } from "../trpc.js";

export const eventsRouter = router({
  /** What POST /api/event calls: public, cookie-less, identified only by the daily-salted hash. */
  ingest: publicProcedure.input(eventPayload).mutation(({ ctx, input }) =>
    pauseBeforeRefusing(ctx, async () => {
      assertIngestAllowed(ctx.client);
      return ingestEvent(ctx.db, input, { ip: ctx.ip, userAgent: ctx.userAgent, country: ctx.country, now: nowFrom(ctx) });
    }),
  ),
});
