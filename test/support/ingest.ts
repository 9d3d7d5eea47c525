import type { Db } from "../../db/client.js";
import { createCaller } from "../../server/root.js";
import type { IngestResult, PreparedEvent, RequestMeta } from "../../server/ingest/model.js";
import { type PrepareContext, prepareEvent } from "../../server/ingest/pipeline.js";
import type { EventPayload } from "../../server/schemas/events.js";
import { testContext } from "./services.js";

/** Real browser user agents, one per device class the dashboard shows. */
export const UA = {
  windowsChrome: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  iphoneSafari: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  ipadSafari: "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  androidChrome: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
  googlebot: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
};

/**
 * A caller whose procedures see a fixed clock, the way tests pin "now" without faking timers
 * (which would also freeze the database drivers).
 */
export function callerAt(now: Date | string, input: Parameters<typeof testContext>[0]) {
  return createCaller(testContext({ ...input, now }));
}

export async function rowCounts(db: Db) {
  const count = async (table: "events" | "visits" | "visitor_salts") =>
    (await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n;
  return { events: await count("events"), visits: await count("visits"), salts: await count("visitor_salts") };
}

/**
 * An event checked (the pipeline's steps 4 to 8) and held in the services' buffer, without the
 * limits: for tests that send many events from one address. Accepted means buffered.
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
