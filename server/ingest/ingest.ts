import type { Db } from "../../db/client.js";
import type { EventPayload } from "../schemas/events.js";
import { eventBuffer } from "./buffer.js";
import type { IngestResult, RequestMeta } from "./model.js";
import { prepareEvent } from "./pipeline.js";

export { prepareEvent };

/**
 * An event checked (./pipeline.ts, steps 4 to 8) and held in this process's buffer, without the
 * limits: for tools and tests that send many events from one address. POST /api/event goes
 * through the whole pipeline. Accepted means buffered; a full buffer refuses with Unavailable.
 */
export async function acceptEvent(db: Db, payload: EventPayload, meta: RequestMeta): Promise<IngestResult> {
  const event = await prepareEvent(db, payload, meta);
  if (!event) return { accepted: false, reason: "bot" };
  eventBuffer(db).accept(event);
  return { accepted: true };
}
