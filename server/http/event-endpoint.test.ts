import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { Unavailable } from "../errors.js";
import type { IngestContext } from "../ingest/pipeline.js";
import { UA } from "../../test/support/ingest.js";
import { createSite } from "../sites/sites.js";
import { signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { type EventRequest, receiveEvent } from "./event-endpoint.js";
import { flushEvents, testServices } from "../../test/support/services.js";

let db: Db;
const DOMAIN = "endpoint.example";
const AT = new Date("2026-05-04T10:00:00Z");

beforeAll(async () => {
  db = await freshDb();
  const owner = await signedIn(db, "owner");
  await createSite(db, owner.user.id, { domain: DOMAIN, timezone: "UTC" });
});

const context = (overrides: Partial<IngestContext> = {}): IngestContext => ({ ...testServices(db, { now: AT, pauses: false }), ...overrides });

const request = (body: unknown, extra: Partial<EventRequest> = {}): EventRequest => ({
  method: "POST",
  body: typeof body === "string" ? body : JSON.stringify(body),
  ip: "198.51.100.4",
  header: (name) => (name.toLowerCase() === "user-agent" ? UA.windowsChrome : undefined),
  ...extra,
});

const pageview = (domain = DOMAIN) => ({ name: "pageview", url: `https://${domain}/a`, domain, referrer: null });

describe("POST /api/event", () => {
  it("answers 202 and the event reaches the table", async () => {
    const reply = await receiveEvent(context(), request(pageview()));
    expect(reply).toMatchObject({ status: 202, body: JSON.stringify({ accepted: true }) });
    expect(reply.headers).toMatchObject({ "Access-Control-Allow-Origin": "*", "Content-Type": "application/json; charset=utf-8" });
    await flushEvents(db);
    const rows = await db.selectFrom("events").select("pathname").where("ts", "=", AT).execute();
    expect(rows).toEqual([{ pathname: "/a" }]);
  });

  it("tells a bot it was not counted", async () => {
    const reply = await receiveEvent(context(), request(pageview(), { header: (name) => (name.toLowerCase() === "user-agent" ? UA.googlebot : undefined) }));
    expect(reply).toMatchObject({ status: 202, body: JSON.stringify({ accepted: false, reason: "bot" }) });
  });

  it("answers refusals with their status, reason and fields, as the procedure words them", async () => {
    const cases: [EventRequest, number, unknown][] = [
      [request("{nope"), 400, { error: 'The body must be a JSON object like {"name":"pageview","url":…,"domain":…}' }],
      [request("x".repeat(16 * 1024 + 1)), 413, { error: "Event payload is too large (16 KB at most)" }],
      [
        request({ ...pageview(), url: "/a" }),
        400,
        { error: "URL must be an absolute http(s) address such as https://example.com/page", fields: { url: ["URL must be an absolute http(s) address such as https://example.com/page"] } },
      ],
      [request("[]"), 400, { error: "The event must be a JSON object", fields: { "": ["The event must be a JSON object"] } }],
      [request(pageview("nobody.example")), 404, { error: "Unknown site domain", fields: { domain: ["Unknown site domain"] } }],
    ];
    for (const [req, status, body] of cases) {
      const reply = await receiveEvent(context(), req);
      expect({ status: reply.status, body: JSON.parse(reply.body) }, req.body.slice(0, 40)).toEqual({ status, body });
      expect(reply.headers["Retry-After"]).toBeUndefined();
    }
  });

  it("says when to try again after a 429 or a 503", async () => {
    const limited = await receiveEvent(context({ limits: { events: { take: () => 12 }, refusals: { pause: () => 0 } } }), request(pageview()));
    expect(limited.status).toBe(429);
    expect(limited.headers["Retry-After"]).toBe("12");
    expect(JSON.parse(limited.body)).toEqual({ error: "Too many events from this address. Slow down and try again.", fields: {} });
    const full = await receiveEvent(
      context({
        events: {
          accept: () => {
            throw new Unavailable("Glimpse cannot store events right now.", 5);
          },
        },
      }),
      request(pageview())
    );
    expect(full.status).toBe(503);
    expect(full.headers["Retry-After"]).toBe("5");
    expect(JSON.parse(full.body)).toEqual({ error: "Glimpse cannot store events right now.", fields: {} });
  });

  it("leaves anything that is not a refusal to the server's 500", async () => {
    const broken = context({
      events: {
        accept: () => {
          throw new Error("disk on fire");
        },
      },
    });
    await expect(receiveEvent(broken, request(pageview()))).rejects.toThrow("disk on fire");
  });

  it("answers a preflight and refuses other methods", async () => {
    expect(await receiveEvent(context(), request("", { method: "OPTIONS" }))).toMatchObject({ status: 204, body: "" });
    const get = await receiveEvent(context(), request("", { method: "GET" }));
    expect({ status: get.status, body: JSON.parse(get.body) }).toEqual({ status: 405, body: { error: "Send events with POST" } });
  });
});
