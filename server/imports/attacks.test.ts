import { Readable } from "node:stream";
import { strToU8, zipSync } from "fflate";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { freshDb } from "../../test/support/db.js";
import { signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { importFiles } from "../../test/support/imports.js";
import { servicesFor } from "../../test/support/services.js";
import { receiveUpload, sendExport, type StreamRequest } from "../http/imports.js";
import { createApiKey, revokeApiKey } from "../auth/api-keys.js";
import { createCaller } from "../root.js";
import { testContext } from "../../test/support/services.js";
import { runImports } from "./job.js";
import { createImport } from "./store.js";
import { TABLES } from "./tables.js";
import { UploadWriter } from "./upload.js";
import { ingestEvent } from "../../test/support/reference-ingest.js";

/*
 * An attacker's review of the import and export surface (issue 28): each case here failed before
 * its fix. Access control, CSRF and the plain bad-input list are in router.test.ts,
 * bad-input.test.ts and the e2e csrf spec.
 */

let db: Db;
let owner: Awaited<ReturnType<typeof signedIn>>;

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "attacks");
});

const VISITORS = "imported_visitors_20240101_20240103.csv";
const rows = (n: number) => strToU8(`date,visitors,pageviews\n${Array.from({ length: n }, (_, i) => `2024-01-0${1 + (i % 3)},${i},${i * 2}`).join("\n")}\n`);

/**
 * A zip whose central directory declares other sizes than its data has (what a crafted or broken
 * archive holds): every entry's compressed and uncompressed sizes are set to the given ones.
 */
function declaring(zip: Uint8Array, sizes: { compressed?: number; uncompressed?: number }): Uint8Array {
  const out = new Uint8Array(zip);
  const view = new DataView(out.buffer);
  for (let at = 0; at + 46 <= out.length; at++) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    if (sizes.compressed !== undefined) view.setUint32(at + 20, sizes.compressed, true);
    if (sizes.uncompressed !== undefined) view.setUint32(at + 24, sizes.uncompressed, true);
  }
  return out;
}

/** A multipart body with one file part, its name given as an RFC 5987 `filename*` (percent-encoded, so any character). */
function multipart(filename: string, data: Buffer) {
  const boundary = "----glimpse-attack";
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename*=UTF-8''${encodeURIComponent(filename)}`),
    Buffer.from(`\r\nContent-Type: text/csv\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(body.length), accept: "application/json" } };
}

const request = (domain: string, extra: Partial<StreamRequest>): StreamRequest => ({
  domain,
  headers: { accept: "application/json" },
  query: new URLSearchParams(),
  body: Readable.from([]),
  ip: "10.9.0.1",
  sessionToken: owner.token,
  apiKey: null,
  ...extra,
});

describe("the import and export surface under attack", () => {
  it("a zip entry with more data than it declares fails at once, naming the file, instead of being retried as our failure", async () => {
    const site = await siteOwnedBy(db, owner.user.id);
    const zip = zipSync({ [VISITORS]: rows(2000) }, { level: 6 });
    const result = await importFiles(db, site.id, owner.user.id, [{ name: "export.zip", data: declaring(zip, { uncompressed: 100 }) }]);
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/^export\.zip: imported_visitors_20240101_20240103\.csv cannot be read/);
  });

  it("a zip entry whose data is not deflate fails at once, naming the file", async () => {
    const site = await siteOwnedBy(db, owner.user.id);
    const zip = zipSync({ [VISITORS]: rows(2000) }, { level: 6 });
    // The compressed bytes after the entry's local header (30 bytes and the name) made garbage.
    const broken = new Uint8Array(zip);
    for (let i = 30 + VISITORS.length + 8; i < 30 + VISITORS.length + 200; i++) broken[i] = 0xff;
    const result = await importFiles(db, site.id, owner.user.id, [{ name: "export.zip", data: broken }]);
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/^export\.zip: imported_visitors_20240101_20240103\.csv cannot be read/);
  });

  it("an entry declared past the end of its zip fails at once, naming the file", async () => {
    const site = await siteOwnedBy(db, owner.user.id);
    const zip = zipSync({ [VISITORS]: rows(50) }, { level: 6 });
    const result = await importFiles(db, site.id, owner.user.id, [{ name: "export.zip", data: declaring(zip, { compressed: 50_000, uncompressed: 60_000 }) }]);
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/^export\.zip: imported_visitors_20240101_20240103\.csv cannot be read/);
  });

  it("what an upload may unpack to is counted over all its zips, not per zip", async () => {
    const site = await siteOwnedBy(db, owner.user.id);
    // Two zips, each declaring 600 MB at a ratio under the bomb check: 1.2 GB together.
    const big = (name: string) => declaring(zipSync({ [name]: rows(10) }), { compressed: 7_000_000, uncompressed: 600_000_000 });
    const result = await importFiles(db, site.id, owner.user.id, [
      { name: "a.zip", data: big(VISITORS) },
      { name: "b.zip", data: big("imported_pages_20240101_20240103.csv") },
    ]);
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/b\.zip: the upload unpacks to more than 1024 MB/);
  });

  it("a NUL in a cell, a header or a zip entry's name fails the import naming the file, instead of failing the job", async () => {
    const cases: [{ name: string; data: Uint8Array }, RegExp][] = [
      [{ name: VISITORS, data: strToU8("date,visitors\n2024-01-01,1\u00002\n") }, /^imported_visitors_20240101_20240103\.csv, line 2: "1\uFFFD2" in column visitors/],
      [{ name: VISITORS, data: strToU8("date,visi\u0000tors\n2024-01-01,12\n") }, /^imported_visitors_20240101_20240103\.csv, line 1: unknown column "visi\uFFFDtors"/],
      [{ name: "export.zip", data: zipSync({ "imported_visitors\u0000_20240101_20240101.csv": rows(1) }) }, /^export\.zip: .*imported_visitors\uFFFD_20240101_20240101\.csv/],
    ];
    for (const [file, message] of cases) {
      const site = await siteOwnedBy(db, owner.user.id);
      const result = await importFiles(db, site.id, owner.user.id, [file]);
      expect(result.status).toBe("failed");
      expect(result.error).toMatch(message);
    }
  });

  it("a value the database refuses as data (SQLSTATE class 22) fails the import at once, naming the file, instead of being retried as our failure", async () => {
    const site = await siteOwnedBy(db, owner.user.id);
    // What the checks might still miss, raised by the database itself for one page.
    await sql`create function refuse_page() returns trigger language plpgsql as $$
      begin if new.page = '/refused' then raise exception 'value out of range for the test' using errcode = '22003'; end if; return new; end $$`.execute(db);
    await sql`create trigger refuse_page before insert on imported_pages for each row execute function refuse_page()`.execute(db);
    try {
      const result = await importFiles(db, site.id, owner.user.id, [{ name: "imported_pages_20240101_20240101.csv", data: strToU8("date,page,pageviews\n2024-01-01,/refused,1\n") }]);
      expect(result).toMatchObject({ status: "failed", error: "imported_pages_20240101_20240101.csv: a value cannot be stored (value out of range for the test)" });
      expect(await db.selectFrom("imports").select("attempts").where("id", "=", result.id).executeTakeFirstOrThrow()).toEqual({ attempts: 1 });
    } finally {
      await sql`drop trigger refuse_page on imported_pages`.execute(db);
      await sql`drop function refuse_page()`.execute(db);
    }
  });

  it("a file name with control characters is refused with a 400, not a 500, and leaves no import", async () => {
    const site = await siteOwnedBy(db, owner.user.id);
    const { body, headers } = multipart("imported_visitors\u0000_20240101_20240103.csv", Buffer.from("date,visitors\n2024-01-01,1\n"));
    const reply = await receiveUpload(servicesFor(db), request(site.domain, { headers, body: Readable.from([body]) }), () => {});
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body as string).error).toMatch(/file name/);
    expect(await db.selectFrom("imports").select("id").where("site_id", "=", site.id).execute()).toEqual([]);
  });

  it("an export asked for 1970 to 2999 covers the site's own days only (not 12,000 months of queries)", async () => {
    const site = await siteOwnedBy(db, owner.user.id);
    // Its own data begins three days ago.
    const first = new Date(Date.now() - 3 * 86_400_000);
    first.setUTCHours(12, 0, 0, 0);
    await ingestEvent(db, { name: "pageview", url: `https://${site.domain}/`, domain: site.domain, referrer: "" }, { ip: "198.51.100.7", userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", country: "DE", now: first });
    const reply = await sendExport(servicesFor(db), request(site.domain, { query: new URLSearchParams({ from: "1970-01-01", to: "2999-12-31" }) }));
    expect(reply.status).toBe(200);
    const compact = (at: Date) => at.toISOString().slice(0, 10).replaceAll("-", "");
    expect(reply.headers["Content-Disposition"]).toBe(`attachment; filename="${site.domain}_${compact(first)}_${compact(new Date(Date.now() - 86_400_000))}.zip"`);
    for await (const chunk of reply.body as AsyncIterable<Uint8Array>) expect(chunk).toBeInstanceOf(Uint8Array);
  });

  it("an API key of another account, or a revoked one of the owner, reaches neither uploads, exports nor imports.*", async () => {
    const site = await siteOwnedBy(db, owner.user.id);
    const other = await signedIn(db, "other-key-holder");
    const theirs = await createApiKey(db, other.user.id, { name: "theirs" });
    const revoked = await createApiKey(db, owner.user.id, { name: "revoked" });
    await revokeApiKey(db, owner.user.id, revoked.apiKey.id);
    for (const [key, status] of [[theirs.key, 404], [revoked.key, 401]] as const) {
      const { body, headers } = multipart(VISITORS, Buffer.from("date,visitors\n2024-01-01,1\n"));
      const as = { sessionToken: null, apiKey: key };
      expect((await receiveUpload(servicesFor(db), request(site.domain, { headers, body: Readable.from([body]), ...as }), () => {})).status).toBe(status);
      expect((await sendExport(servicesFor(db), request(site.domain, as))).status).toBe(status);
      const caller = createCaller(testContext({ db, apiKey: key, ip: "10.9.0.2" }));
      await expect(caller.imports.list({ site: site.domain })).rejects.toMatchObject({ code: status === 404 ? "NOT_FOUND" : "UNAUTHORIZED" });
    }
    expect(await db.selectFrom("imports").select("id").where("site_id", "=", site.id).execute()).toEqual([]);
  });

  it("an import whose site is deleted while it runs stops and leaves no row", async () => {
    const site = await siteOwnedBy(db, owner.user.id);
    const id = await createImport(db, site.id, owner.user.id);
    const writer = new UploadWriter(db, id);
    // Pages: a table with many rows a day (imported_visitors has one).
    await writer.addFile("imported_pages_20240101_20240103.csv", Readable.from([Buffer.from(rows(3000))]));
    await writer.finish();
    const logged: string[] = [];
    let batches = 0;
    // The site goes between two batches: the job's next write finds its import gone.
    const job = runImports(db, { owner: "test", batchRows: 100, log: (line) => logged.push(line), clock: () => {
      if (++batches === 5) void db.deleteFrom("sites").where("id", "=", site.id).execute();
      return new Date();
    } });
    await job;
    expect(await db.selectFrom("imports").select("id").where("id", "=", id).execute()).toEqual([]);
    for (const table of TABLES) expect((await sql`select count(*)::int8 as n from ${sql.table(table)} where import_id = ${id}`.execute(db)).rows).toEqual([{ n: 0 }]);
    expect(await db.selectFrom("import_uploads").select("import_id").where("import_id", "=", id).execute()).toEqual([]);
    expect(logged.filter((line) => /failed|stopped/.test(line))).toEqual([]);
  });

  it("one network starts a bounded number of uploads, whatever sites and accounts it spreads them over", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) {
      const someone = await signedIn(db, `uploader-${i}`);
      const site = await siteOwnedBy(db, someone.user.id);
      const { body, headers } = multipart(VISITORS, Buffer.from("date,visitors\n2024-01-01,1\n"));
      const reply = await receiveUpload(servicesFor(db), request(site.domain, { headers, body: Readable.from([body]), ip: "10.9.9.9", sessionToken: someone.token }), () => {});
      statuses.push(reply.status);
      if (reply.status === 429) {
        expect(JSON.parse(reply.body as string).error).toMatch(/from one network/);
        expect(Number(reply.headers["Retry-After"])).toBeGreaterThan(0);
      }
    }
    expect(statuses.filter((s) => s === 202).length).toBe(30);
    expect(statuses.slice(30)).toEqual([429, 429]);
    await runImports(db, { owner: "test" });
  }, 60_000);
});
