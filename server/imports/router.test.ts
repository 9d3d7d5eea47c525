import { PassThrough, Readable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { freshDb } from "../../test/support/db.js";
import { anonymous, expectCode, member, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { fixtureFiles } from "../../test/support/imports.js";
import { receiveUpload, sendExport, type StreamRequest } from "../http/imports.js";
import { servicesFor } from "../../test/support/services.js";
import { runImports } from "./job.js";
import { createImport } from "./store.js";
import { ingestEvent } from "../../test/support/reference-ingest.js";

let db: Db;
let owner: Awaited<ReturnType<typeof signedIn>>;
let site: { id: string; domain: string };

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "owner");
  site = await siteOwnedBy(db, owner.user.id);
});

/** A multipart body as a browser's form sends it. */
function multipart(files: { name: string; data: Buffer }[]) {
  const boundary = "----glimpse-test-boundary";
  const parts = files.flatMap((file) => [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n`),
    file.data,
    Buffer.from("\r\n"),
  ]);
  const body = Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
  return { body, headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(body.length) } };
}

const upload = (token: string | null, files: { name: string; data: Buffer }[], extra: Partial<StreamRequest> = {}) => {
  const { body, headers } = multipart(files);
  return receiveUpload(servicesFor(db), { domain: site.domain, headers: { ...headers, accept: "application/json" }, query: new URLSearchParams(), body: Readable.from([body]), ip: "10.0.0.1", sessionToken: token, apiKey: null, ...extra }, () => {});
};

describe("imports over the router and the upload endpoint", () => {
  it("an admin uploads, the job runs, and imports.list shows source, range and pageviews", async () => {
    const reply = await upload(owner.token, fixtureFiles());
    expect(reply.status).toBe(202);
    await runImports(db, { owner: "test" });
    const page = await owner.caller.imports.list({ site: site.domain });
    expect(page.includeImported).toBe(true);
    expect(page.imports[0]).toMatchObject({ source: "Plausible CSV", status: "completed", from: "2011-12-25", to: "2022-01-06", pageviews: 99 });
  });

  it("a form post without JavaScript is redirected to the imports page", async () => {
    const { body, headers } = multipart([{ name: "imported_visitors_20100101_20100101.csv", data: Buffer.from("date,visitors\n2010-01-01,1\n") }]);
    const reply = await receiveUpload(servicesFor(db), { domain: site.domain, headers, query: new URLSearchParams(), body: Readable.from([body]), ip: "10.0.0.1", sessionToken: owner.token, apiKey: null }, () => {});
    expect(reply.status).toBe(303);
    expect(reply.headers.Location).toMatch(new RegExp(`^/sites/${site.domain}/settings/imports\\?started=`));
    await runImports(db, { owner: "test" });
  });

  it("viewers get FORBIDDEN and others NOT_FOUND, by procedure and by upload", async () => {
    const viewer = await member(db, site.id, "viewer");
    const stranger = await signedIn(db, "stranger");
    await expectCode(viewer.caller.imports.list({ site: site.domain }), "FORBIDDEN");
    await expectCode(stranger.caller.imports.list({ site: site.domain }), "NOT_FOUND");
    await expectCode(anonymous(db).imports.list({ site: site.domain }), "UNAUTHORIZED");
    const { imports } = await owner.caller.imports.list({ site: site.domain });
    await expectCode(viewer.caller.imports.delete({ site: site.domain, id: imports[0]!.id }), "FORBIDDEN");
    expect((await upload(viewer.token, fixtureFiles())).status).toBe(403);
    expect((await upload(stranger.token, fixtureFiles())).status).toBe(404);
    expect((await upload(null, fixtureFiles())).status).toBe(401);
    const exported = await sendExport(servicesFor(db), { domain: site.domain, headers: {}, query: new URLSearchParams(), body: Readable.from([]), ip: "10.0.0.1", sessionToken: viewer.token, apiKey: null });
    expect(exported.status).toBe(403);
  });

  it("says which days an export holds: none while the site has only imported data, then its own up to yesterday", async () => {
    const fresh = await siteOwnedBy(db, owner.user.id);
    expect((await owner.caller.imports.list({ site: fresh.domain })).exportDays).toBeNull();
    const first = new Date(Date.now() - 3 * 86_400_000);
    first.setUTCHours(12, 0, 0, 0);
    await ingestEvent(db, { name: "pageview", url: `https://${fresh.domain}/`, domain: fresh.domain, referrer: "" }, { ip: "198.51.100.9", userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", country: "DE", now: first });
    const { exportDays } = await owner.caller.imports.list({ site: fresh.domain });
    expect(exportDays?.from).toBe(first.toISOString().slice(0, 10));
    expect(exportDays!.to >= exportDays!.from).toBe(true);
  });

  it("refuses a declared body past the limit unread, and a second import while one runs", async () => {
    const huge = await upload(owner.token, fixtureFiles(), { headers: { "content-type": "multipart/form-data; boundary=x", "content-length": String(2 * 1024 ** 3), accept: "application/json" } });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body as string).error).toMatch(/larger than 200 MB/);
    expect((await upload(owner.token, fixtureFiles())).status).toBe(202);
    const second = await upload(owner.token, fixtureFiles());
    expect(second.status).toBe(409);
    expect(JSON.parse(second.body as string).error).toMatch(/still running/);
    await runImports(db, { owner: "test" });
  });

  it("an upload cut off by its client is answered and leaves no import", async () => {
    const before = (await owner.caller.imports.list({ site: site.domain })).imports.length;
    const { body, headers } = multipart(fixtureFiles());
    const stream = Object.assign(new Readable({ read() {} }), { complete: false });
    stream.push(body.subarray(0, 700));
    setTimeout(() => stream.destroy(), 50);
    const reply = await receiveUpload(servicesFor(db), { domain: site.domain, headers: { ...headers, accept: "application/json" }, query: new URLSearchParams(), body: stream, ip: "10.0.0.1", sessionToken: owner.token, apiKey: null }, () => {});
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body as string).error).toMatch(/cut off/);
    expect((await owner.caller.imports.list({ site: site.domain })).imports.length).toBe(before);
  });

  it("a body that ends inside a file, already all received, is answered 400 instead of ending the process, and leaves no import", async () => {
    const before = (await owner.caller.imports.list({ site: site.domain })).imports.length;
    // The audit's request, as a server holds it once the client has sent it all.
    const body = '--zz\r\nContent-Disposition: form-data; name="files"; filename="a.csv"\r\n\r\nx';
    const buffered = () => {
      const stream = new PassThrough();
      stream.end(body);
      return stream;
    };
    for (const stream of [buffered(), Readable.from([Buffer.from(body)])]) {
      const headers = { "content-type": "multipart/form-data; boundary=zz", "content-length": String(body.length), accept: "application/json" };
      const reply = await receiveUpload(servicesFor(db), { domain: site.domain, headers, query: new URLSearchParams(), body: stream, ip: "10.0.0.1", sessionToken: owner.token, apiKey: null }, () => {});
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.body as string).error).toBe("The upload was cut off before its end. Please send it again.");
    }
    expect((await owner.caller.imports.list({ site: site.domain })).imports.length).toBe(before);
    expect((await upload(owner.token, [{ name: "imported_visitors_20100101_20100101.csv", data: Buffer.from("date,visitors\n2010-01-01,1\n") }])).status).toBe(202);
    await runImports(db, { owner: "test" });
  });

  it("an upload left `uploading` by a stopped instance blocks the site's next import for minutes, not for good", async () => {
    const other = await siteOwnedBy(db, owner.user.id);
    const stopped = await createImport(db, other.id, owner.user.id);
    const file = [{ name: "imported_visitors_20100101_20100101.csv", data: Buffer.from("date,visitors\n2010-01-01,1\n") }];
    expect((await upload(owner.token, file, { domain: other.domain })).status).toBe(409);
    await db.updateTable("imports").set({ updated_at: new Date(Date.now() - 6 * 60_000) }).where("id", "=", stopped).execute();
    expect((await upload(owner.token, file, { domain: other.domain })).status).toBe(202);
    await runImports(db, { owner: "test" });
    expect(await db.selectFrom("imports").select(["status", "error"]).where("id", "=", stopped).executeTakeFirstOrThrow()).toEqual({ status: "failed", error: "The upload did not finish." });
  });

  it("an upload without files is refused and leaves no import", async () => {
    const before = (await owner.caller.imports.list({ site: site.domain })).imports.length;
    const reply = await upload(owner.token, []);
    expect(reply.status).toBe(400);
    expect((await owner.caller.imports.list({ site: site.domain })).imports.length).toBe(before);
  });

  it("deletes an import, and switches imported data off and on", async () => {
    const { imports } = await owner.caller.imports.list({ site: site.domain });
    await owner.caller.imports.delete({ site: site.domain, id: imports[0]!.id });
    await expectCode(owner.caller.imports.delete({ site: site.domain, id: imports[0]!.id }), "NOT_FOUND");
    expect(await owner.caller.imports.setIncludeImported({ site: site.domain, include: false })).toEqual({ includeImported: false });
    expect((await owner.caller.imports.list({ site: site.domain })).includeImported).toBe(false);
  });
});
