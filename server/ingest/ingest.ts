import type { EventPayload } from "../schemas/events.js";
import type { IngestResult, PreparedEvent, RequestMeta } from "./model.js";
import { type PrepareContext, prepareEvent } from "./pipeline.js";

export { prepareEvent };

/**
 * An event checked (./pipeline.ts, steps 4 to 8) and held in the services' buffer, without the
 * limits: for tools and tests that send many events from one address. POST /api/event goes
 * through the whole pipeline. Accepted means buffered; a full buffer refuses with Unavailable.
 */
export async function acceptEvent(
  ctx: Pick<PrepareContext, "sites" | "salts"> & { events: { accept(event: PreparedEvent): void } },
  payload: EventPayload,
  meta: RequestMeta,
): Promise<IngestResult> {
  const event = await prepareEvent(ctx, payload, meta);
  if (!event) return { accepted: false, reason: "bot" };
  ctx.events.accept(event);
  return { accepted: true };
}
