import { type Clock, fixedClock, wallClock } from "../clock.js";
import { NotFound, TooManyRequests, Unavailable, Unreadable } from "../errors.js";
import { BODY_LIMITS, describeLimit } from "../net/body-limits.js";
import { clientNetwork } from "../net/client-address.js";
import { pauseBeforeRefusing, type RefusalPauses } from "../refusals.js";
import { type EventPayload, eventPayload, PAGEVIEW } from "../schemas/events.js";
import { normaliseDomain } from "../schemas/sites.js";
import { localDay } from "../dates.js";
import type { IngestResult, PreparedEvent, RequestMeta } from "./model.js";
import { acquisitionOf } from "./referrer.js";
import { type DailySalts, visitorId } from "./salts.js";
import type { SiteLookup } from "./site-lookup.js";
import { clientOf } from "./user-agent.js";

/**
 * An event's way in, step by step, in this order:
 *
 *   1. read         the body as JSON (413 past the event limit, 400 for anything else)
 *   2. validate     the event payload schema, the same one the tRPC procedure's input uses (400)
 *   3. limits       events per client network, in memory, before any database work (429)
 *   4. bot check    bots and clients without a user agent are dropped, and told so (202)
 *   5. site         the site by domain, remembered for a while (404 for an unknown domain)
 *   6. country      a trusted proxy's header, or the address looked up (and not kept)
 *   7. acquisition  page, source and campaign out of the URL and the referrer
 *   8. visitor id   the daily-salted hash of site, address and user agent
 *   9. buffer       held with others until the next write (503 while it is full)
 *
 * Each step may end the event: a refusal is thrown as a domain error, a drop is returned. The
 * HTTP endpoint (../http/event-endpoint.ts) runs all nine; the tRPC procedure, whose input
 * parser has done 1 and 2 with the same schema, runs 3 to 9. Framework-free: everything a step
 * needs from outside (clock, limits, sites, salts, buffer, country lookup) comes in the context,
 * which the services (../services.ts) are.
 */
export interface IngestContext extends PrepareContext {
  limits: {
    /** Per client network: the seconds to wait before the next event, 0 when it may come now. */
    events: { take(client: string): number };
    refusals: RefusalPauses;
  };
  /** Where accepted events wait to be written (./buffer.ts); throws Unavailable when full. */
  events: { accept(event: PreparedEvent): void };
}

/** What steps 4 to 8 read: the services (../services.ts) have all of it. */
export interface PrepareContext {
  /** The time an event is stamped with. */
  clock: Clock;
  sites: Pick<SiteLookup, "byDomain">;
  salts: Pick<DailySalts, "of">;
  /** The country of an address, "" when no database may place it. */
  countryOf(ip: string): string;
}

/** What identifies the visitor: used for the steps above and never stored. */
export interface Visitor {
  ip: string;
  userAgent: string;
  /** ISO 3166 alpha-2 from a trusted proxy's header; "" when there is none. */
  country: string;
}

const NOT_JSON = 'The body must be a JSON object like {"name":"pageview","url":…,"domain":…}';

/** 1. Read: the body's text as JSON. */
export function readEvent(body: string): unknown {
  if (body.length > BODY_LIMITS.event) throw new Unreadable(`Event payload is too large (${describeLimit(BODY_LIMITS.event)} at most)`, 413);
  try {
    return JSON.parse(body);
  } catch {
    throw new Unreadable(NOT_JSON, 400);
  }
}

/** 2. Validate: Plausible's payload, by the schema the procedure uses; throws the schema's issues. */
export function validateEvent(raw: unknown): EventPayload {
  return eventPayload.parse(raw);
}

/** Steps 1 to 9, for a request body. */
export function ingestBody(ctx: IngestContext, body: string, visitor: Visitor): Promise<IngestResult> {
  let payload: EventPayload;
  try {
    payload = validateEvent(readEvent(body));
  } catch (error) {
    return Promise.reject(error);
  }
  return ingestPayload(ctx, payload, visitor);
}

/** Steps 3 to 9, for a payload the schema has accepted. */
export function ingestPayload(ctx: IngestContext, payload: EventPayload, visitor: Visitor): Promise<IngestResult> {
  const client = clientNetwork(visitor.ip);
  return pauseBeforeRefusing(
    { client, limits: ctx.limits },
    async (): Promise<IngestResult> => {
      // 3. Limits
      const wait = ctx.limits.events.take(client);
      if (wait > 0) throw new TooManyRequests("Too many events from this address. Slow down and try again.", wait);
      const event = await prepare(ctx, payload, visitor);
      if (!event) return { accepted: false, reason: "bot" };
      // 9. Buffer
      ctx.events.accept(event);
      return { accepted: true };
    },
    // A full buffer's 503 is paused like a 429: a flood answered at once would keep the process
    // parsing refused events instead of writing the ones it holds.
    (error) => error instanceof TooManyRequests || error instanceof Unavailable,
  );
}

/** Steps 4 to 8: the event as it is held and written, or null for a bot. */
async function prepare(ctx: PrepareContext, payload: EventPayload, visitor: Visitor): Promise<PreparedEvent | null> {
  // 4. Bot check: no database work for a bot.
  const client = clientOf(visitor.userAgent);
  if (!client) return null;
  // 5. Site
  const site = await ctx.sites.byDomain(normaliseDomain(payload.domain));
  if (!site) throw new NotFound("Unknown site domain", "domain");
  // 6. Country
  const country = visitor.country || ctx.countryOf(visitor.ip);
  // 7. Acquisition
  const now = ctx.clock.now();
  const url = new URL(payload.url);
  const pathname = pathnameOf(url);
  const day = dayIn(now, site.timezone);
  const firstEvent = {
    entry_page: pathname,
    ...acquisitionOf(url, payload.referrer, site.domain),
    country: /^[A-Z]{2}$/.test(country) ? country : "",
    ...client,
  };
  // 8. Visitor id: the address and user agent go no further than this.
  const visitorHash = visitorId(await ctx.salts.of(day), site.id, visitor.ip, visitor.userAgent);
  return {
    siteId: site.id,
    timezone: site.timezone,
    ts: now,
    day,
    name: payload.name,
    pathname,
    pageview: payload.name === PAGEVIEW,
    visitorId: visitorHash,
    firstEvent,
    props: propsOf(payload),
  };
}

/**
 * Steps 4 to 8 alone, for tools and tests that hold or write events themselves: the country is
 * the one given (no lookup), and there are no limits.
 */
export function prepareEvent(ctx: Pick<PrepareContext, "sites" | "salts">, payload: EventPayload, meta: RequestMeta): Promise<PreparedEvent | null> {
  const clock = meta.now ? fixedClock(meta.now) : wallClock;
  return prepare({ ...ctx, clock, countryOf: () => "" }, payload, { ip: meta.ip, userAgent: meta.userAgent, country: meta.country });
}

function pathnameOf(url: URL): string {
  // Decoded for readability ("/café", not "/caf%C3%A9"), unless that would produce control characters.
  let path = url.pathname;
  try {
    const decoded = decodeURIComponent(path);
    if (!/[\u0000-\u001f\u007f]/.test(decoded)) path = decoded;
  } catch {
    // Malformed escapes stay as sent.
  }
  return path.slice(0, 2000) || "/";
}

const days = new Map<string, string>();

/** The site-local day, worked out once a minute per timezone (every offset is whole minutes). */
function dayIn(date: Date, timezone: string): string {
  const key = `${timezone}\n${Math.floor(date.getTime() / 60_000)}`;
  let day = days.get(key);
  if (day === undefined) {
    if (days.size >= 1_000) days.clear();
    day = localDay(date, timezone);
    days.set(key, day);
  }
  return day;
}

/**
 * Custom properties as text ({"plan": "pro", "seats": "5"}), the way goal breakdowns show and
 * filter them; properties sent as null are left out, and an event without any stores null.
 */
function propsOf(payload: EventPayload): Record<string, string> | null {
  const entries = Object.entries(payload.props ?? {}).filter((entry): entry is [string, string | number | boolean] => entry[1] !== null);
  return entries.length ? Object.fromEntries(entries.map(([key, value]) => [key, String(value)])) : null;
}
