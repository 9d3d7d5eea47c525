import type { KyselyPlugin } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { NotFound, TooManyRequests, Unavailable, Unreadable } from "../errors.js";
import { createSite } from "../sites/sites.js";
import { signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import type { PreparedEvent } from "./model.js";
import { fixedClock } from "../clock.js";
import { DailySalts } from "./salts.js";
import { SiteLookup } from "./site-lookup.js";
import { type IngestContext, ingestBody, ingestPayload, prepareEvent, type Visitor } from "./pipeline.js";
import { UA } from "../../test/support/ingest.js";
import { servicesFor } from "../../test/support/services.js";

let db: Db;
const DOMAIN = "pipeline.example";
const AT = new Date("2026-05-04T10:00:00Z");
const visitor: Visitor = { ip: "203.0.113.9", userAgent: UA.windowsChrome, country: "" };
const pageview = (domain = DOMAIN) => ({ name: "pageview", url: `https://${domain}/pricing?utm_source=news`, domain, referrer: "https://www.google.com/" });

beforeAll(async () => {
  db = await freshDb();
  const owner = await signedIn(db, "owner");
  await createSite(db, owner.user.id, { domain: DOMAIN, timezone: "Europe/Berlin" });
});

/** Writes down each statement's table (or kind) as the database sees it, in order. */
function recorder(trace: string[]): KyselyPlugin {
  return {
    transformQuery({ node }) {
      const table = /"IdentifierNode","name":"(\w+)"/.exec(JSON.stringify(node))?.[1];
      trace.push(`db:${table ?? node.kind}`);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
}

/**
 * A pipeline whose every outside part writes into one trace: the database (a connection of its
 * own, so no site or salt is remembered from another test), the limits, the country lookup and
 * the buffer.
 */
function traced(options: { wait?: number; full?: boolean } = {}) {
  const trace: string[] = [];
  const held: PreparedEvent[] = [];
  const recorded = db.withPlugin(recorder(trace));
  const ctx: IngestContext = {
    clock: fixedClock(AT),
    sites: new SiteLookup(recorded),
    salts: new DailySalts(recorded),
    limits: {
      events: {
        take(client) {
          trace.push(`limits:${client}`);
          return options.wait ?? 0;
        },
      },
      refusals: { pause: () => 0 },
    },
    events: {
      accept(event) {
        trace.push("buffer");
        if (options.full) throw new Unavailable("full", 5);
        held.push(event);
      },
    },
    countryOf(ip) {
      trace.push(`country:${ip}`);
      return "DE";
    },
  };
  return { ctx, trace, held };
}

/** The trace with repeats of one step folded, so a step that runs two statements reads once. */
const steps = (trace: string[]) => trace.filter((step, i) => step !== trace[i - 1]);

describe("the ingestion pipeline", () => {
  it("runs its steps in order: limits, site, country, visitor id, buffer", async () => {
    const { ctx, trace, held } = traced();
    expect(await ingestBody(ctx, JSON.stringify(pageview()), visitor)).toEqual({ accepted: true });
    const order = steps(trace);
    expect(order.slice(0, 3)).toEqual(["limits:203.0.113.9", "db:sites", "country:203.0.113.9"]);
    expect(order.slice(3, -1).every((step) => step.startsWith("db:"))).toBe(true);
    expect(order).toContain("db:visitor_salts");
    expect(order.at(-1)).toBe("buffer");
    expect(held).toHaveLength(1);
  });

  it("holds the event as prepareEvent makes it, with the looked-up country, page and source", async () => {
    const { ctx, held } = traced();
    await ingestBody(ctx, JSON.stringify(pageview()), visitor);
    expect(held[0]).toMatchObject({
      ts: AT,
      day: "2026-05-04",
      name: "pageview",
      pathname: "/pricing",
      pageview: true,
      firstEvent: { entry_page: "/pricing", referrer_source: "news", referrer: "google.com", utm_source: "news", country: "DE", device: "Desktop", browser: "Chrome", os: "Windows" },
      props: null,
    });
    const prepared = await prepareEvent(servicesFor(db), { ...pageview(), referrer: "https://www.google.com/" }, { ...visitor, country: "DE", now: AT });
    expect(held[0]).toEqual(prepared);
  });

  it("refuses a body it cannot read, or that the schema refuses, before taking from the limit", async () => {
    for (const [body, check] of [
      ["{not json", (e: unknown) => e instanceof Unreadable && e.status === 400],
      [JSON.stringify({ ...pageview(), name: "x".repeat(17 * 1024) }), (e: unknown) => e instanceof Unreadable && e.status === 413],
      [JSON.stringify({ ...pageview(), url: "/relative" }), (e: unknown) => Array.isArray((e as { issues?: unknown }).issues)],
    ] as const) {
      const { ctx, trace } = traced();
      const error = await ingestBody(ctx, body, visitor).catch((e: unknown) => e);
      expect(check(error), String(error)).toBe(true);
      expect(trace).toEqual([]);
    }
  });

  it("refuses properties over a limit with the rule they broke, __proto__ included (never stored with it dropped)", async () => {
    const refusal = async (props: string) => {
      const { ctx, held } = traced();
      const error = await ingestBody(ctx, `{"name":"Signup","url":"https://${DOMAIN}/x","domain":"${DOMAIN}","props":${props}}`, visitor).catch((e: unknown) => e);
      expect(held).toEqual([]);
      return ((error as { issues?: { message: string }[] }).issues ?? []).map((issue) => issue.message);
    };
    expect(await refusal(`{"plan":"pro","__proto__":{"nested":{"deep":1}}}`)).toEqual(["A property cannot be named __proto__"]);
    expect(await refusal(`{"__proto__":"x"}`)).toEqual(["A property cannot be named __proto__"]);
    expect(await refusal(`{"${"k".repeat(301)}":"x"}`)).toEqual(["A property name must be at most 300 characters"]);
    expect(await refusal(`{"":"x"}`)).toEqual(["Property names cannot be empty"]);
    expect(await refusal(`{"a\\u0000b":"x"}`)).toEqual(["Property names cannot contain control characters"]);
    expect(await refusal(`["a"]`)).toEqual(["Props must be an object"]);
  });

  it("takes event names in right-to-left text with their direction marks (names people give refuse them)", async () => {
    const { ctx, held } = traced();
    const name = "\u200fהרשמה\u200f";
    await ingestBody(ctx, JSON.stringify({ ...pageview(), name }), visitor);
    expect(held[0]).toMatchObject({ name, pageview: false });
  });

  it("refuses a client over its limit before any database read", async () => {
    const { ctx, trace } = traced({ wait: 7 });
    const error = await ingestPayload(ctx, pageview(), visitor).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyRequests);
    expect((error as TooManyRequests).retryAfterSeconds).toBe(7);
    expect(trace).toEqual(["limits:203.0.113.9"]);
  });

  it("counts an IPv6 client by its /64", async () => {
    const { ctx, trace } = traced();
    await ingestPayload(ctx, pageview(), { ...visitor, ip: "2001:db8:1:2::5" });
    expect(trace[0]).toBe("limits:2001:db8:1:2::/64");
  });

  it("drops a bot before any database read, having counted it against the limit", async () => {
    for (const userAgent of [UA.googlebot, ""]) {
      const { ctx, trace } = traced();
      expect(await ingestPayload(ctx, pageview(), { ...visitor, userAgent })).toEqual({ accepted: false, reason: "bot" });
      expect(trace).toEqual(["limits:203.0.113.9"]);
    }
  });

  it("refuses an unknown site after the limit (made-up domains are limited too) and before the country and the buffer", async () => {
    const { ctx, trace } = traced();
    const error = await ingestPayload(ctx, pageview("nobody.example"), visitor).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFound);
    expect(steps(trace)).toEqual(["limits:203.0.113.9", "db:sites"]);
  });

  it("takes a trusted proxy's country without looking the address up", async () => {
    const { ctx, trace, held } = traced();
    await ingestPayload(ctx, pageview(), { ...visitor, country: "FR" });
    expect(trace.some((step) => step.startsWith("country:"))).toBe(false);
    expect(held[0]!.firstEvent.country).toBe("FR");
  });

  it("refuses with the buffer's 503 only after every other check passed", async () => {
    const { ctx, trace } = traced({ full: true });
    await expect(ingestPayload(ctx, pageview(), visitor)).rejects.toBeInstanceOf(Unavailable);
    expect(steps(trace).slice(0, 3)).toEqual(["limits:203.0.113.9", "db:sites", "country:203.0.113.9"]);
    expect(trace.at(-1)).toBe("buffer");
  });
});
