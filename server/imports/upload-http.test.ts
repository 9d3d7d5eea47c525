import { createServer, type IncomingMessage, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { freshDb } from "../../test/support/db.js";
import { signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { servicesFor } from "../../test/support/services.js";
import { createApiKey } from "../auth/api-keys.js";
import { receiveUpload } from "../http/imports.js";
import { runImports } from "./job.js";

/*
 * The upload endpoint behind a real HTTP server, as the one in front of Remix calls it: bodies
 * that end early, clients that go away, and who may hold the instance's upload slots.
 */

let db: Db;
let server: Server;
let base: string;
let owner: Awaited<ReturnType<typeof signedIn>>;
let key: string;

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "uploader");
  key = (await createApiKey(db, owner.user.id, { name: "uploads" })).key;
  server = createServer((req: IncomingMessage, res) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? null;
    const domain = decodeURIComponent(/^\/api\/sites\/([^/]+)\/imports$/.exec(req.url ?? "")?.[1] ?? "");
    void receiveUpload(servicesFor(db), { domain, headers: req.headers, query: new URLSearchParams(), body: req, ip: "10.44.0.1", sessionToken: null, apiKey: bearer }, () => {}).then((reply) => {
      res.writeHead(reply.status, reply.headers).end(reply.body as string);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Sent {
  status: number;
  body: string;
}

/** Sends a raw body; `end: false` leaves the request open (a client still sending). */
function send(domain: string, body: string, options: { key?: string | null; end?: boolean; contentLength?: number } = {}) {
  const req = httpRequest(`${base}/api/sites/${domain}/imports`, {
    method: "POST",
    headers: {
      "Content-Type": "multipart/form-data; boundary=zz",
      "Content-Length": String(options.contentLength ?? Buffer.byteLength(body)),
      Accept: "application/json",
      ...(options.key !== null && { Authorization: `Bearer ${options.key ?? key}` }),
    },
  });
  const answer = new Promise<Sent>((resolve, reject) => {
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c)).on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
  });
  req.write(body);
  if (options.end !== false) req.end();
  return { req, answer };
}

const part = (name: string, data: string) => `--zz\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n${data}`;
const whole = (name: string, data: string) => `${part(name, data)}\r\n--zz--\r\n`;
const importsOf = (siteId: string) => db.selectFrom("imports").select(["id", "status"]).where("site_id", "=", siteId).execute();

describe("the upload endpoint over HTTP", () => {
  it("answers a body cut off inside a file with 400, stays up, and leaves no import that blocks the next", async () => {
    const site = await siteOwnedBy(db, owner.user.id);
    // The audit's request: a part's headers, one byte, and the end of the body.
    const cut = await send(site.domain, part("a.csv", "x")).answer;
    expect(cut.status).toBe(400);
    expect(JSON.parse(cut.body).error).toMatch(/cut off/);
    expect(await importsOf(site.id)).toEqual([]);
    // Cut off after a whole file's bytes too, and before any part at all.
    for (const body of [part("imported_visitors_20190101_20190101.csv", "date,visitors\n2019-01-01,1\n".repeat(20_000)), "--zz\r\nContent-Disposition: form-"]) {
      const again = await send(site.domain, body).answer;
      expect(again.status).toBe(400);
      expect(JSON.parse(again.body).error).toMatch(/cut off/);
    }
    expect(await importsOf(site.id)).toEqual([]);
    const next = await send(site.domain, whole("imported_visitors_20190101_20190101.csv", "date,visitors\n2019-01-01,1\n")).answer;
    expect(next.status).toBe(202);
    await runImports(db, { owner: "test" });
  });

  it("leaves nothing when the client goes away mid-upload, and the next upload is taken", async () => {
    const site = await siteOwnedBy(db, owner.user.id);
    const { req, answer } = send(site.domain, part("imported_visitors_20190101_20190101.csv", "date,visitors\n2019-01-01,1\n".repeat(20_000)), { end: false, contentLength: 10_000_000 });
    answer.catch(() => {});
    await waitFor(async () => (await importsOf(site.id)).length === 1);
    req.destroy();
    await waitFor(async () => (await importsOf(site.id)).length === 0);
    const next = await send(site.domain, whole("imported_visitors_20190101_20190101.csv", "date,visitors\n2019-01-01,1\n")).answer;
    expect(next.status).toBe(202);
    await runImports(db, { owner: "test" });
  });

  it("refuses requests without a valid key before taking an upload slot, and holds none while it reads what they send", async () => {
    const site = await siteOwnedBy(db, owner.user.id);
    // Two refused clients still sending: their answers wait for the bodies that never end.
    const refused = [send(site.domain, part("a.csv", "x"), { key: null, end: false, contentLength: 100_000 }), send(site.domain, part("a.csv", "x"), { key: "glk_nobody", end: false, contentLength: 100_000 })];
    for (const r of refused) r.answer.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    const taken = await send(site.domain, whole("imported_visitors_20190101_20190101.csv", "date,visitors\n2019-01-01,1\n")).answer;
    expect(taken.status).toBe(202);
    for (const r of refused) r.req.destroy();
    await runImports(db, { owner: "test" });
  });

  it("answers 401 to a request without a key while two uploads hold the slots, not 429", async () => {
    const sites = [await siteOwnedBy(db, owner.user.id), await siteOwnedBy(db, owner.user.id)];
    const busy = sites.map((s) => send(s.domain, part("imported_visitors_20190101_20190101.csv", "date,visitors\n"), { end: false, contentLength: 1_000_000 }));
    for (const b of busy) b.answer.catch(() => {});
    await waitFor(async () => (await Promise.all(sites.map((s) => importsOf(s.id)))).every((rows) => rows.length === 1));
    const anonymous = await send(sites[0]!.domain, whole("imported_visitors_20190101_20190101.csv", "date,visitors\n2019-01-01,1\n"), { key: null }).answer;
    expect(anonymous.status).toBe(401);
    for (const b of busy) b.req.destroy();
    await waitFor(async () => (await Promise.all(sites.map((s) => importsOf(s.id)))).every((rows) => rows.length === 0));
  });
});

async function waitFor(check: () => Promise<boolean>, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
