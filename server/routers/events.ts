import { ingestPayload } from "../ingest/pipeline.js";
import { eventPayload } from "../schemas/events.js";
import { publicProcedure, router } from "../trpc.js";

export const eventsRouter = router({
  /**
   * For API clients: public, cookie-less, identified only by the daily-salted hash. The input is
   * parsed with the pipeline's schema, and the rest of the pipeline (../ingest/pipeline.ts) runs
   * as for POST /api/event, which does not come through here. Accepted events are written within
   * the flush interval (INGEST_FLUSH_MS), with others.
   */
  ingest: publicProcedure.input(eventPayload).mutation(({ ctx, input }) =>
    ingestPayload(ctx, input, {
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      country: ctx.country,
    }),
  ),
});
