import { Readable } from "node:stream";
import { strToU8, zipSync } from "fflate";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { freshDb } from "../../test/support/db.js";
import { signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { fixtureFiles, importFiles } from "../../test/support/imports.js";
import { runImports } from "./job.js";
import { createImport, getImport } from "./store.js";
import { TABLES } from "./tables.js";
import { UploadTooLarge, UploadWriter } from "./upload.js";
import { TooManyRequests } from "../errors.js";
import { IMPORT_LIMITS } from "./limits.js";

let db: Db;
let userId: string;

beforeAll(async () => {
  db = await freshDb();
  userId = (await signedIn(db, "bad-input")).user.id;
});

const VISITORS = "imported_visitors_20240101_20240103.csv";
const csv = (text: string) => strToU8(text);

async function importedRows(): Promise<number> {
  let total = 0;
  for (const table of TABLES) total += (await sql<{ n: number }>`select count(*)::int8 as n from ${sql.table(table)}`.execute(db)).rows[0]!.n;
  return total;
}

/** Imports the files into a new site: the import fails with the message, and no row of it stays. */
async function refused(files: { name: string; data: Uint8Array }[], message: RegExp) {
  const site = await siteOwnedBy(db, userId);
  const before = await importedRows();
  const result = await importFiles(db, site.id, userId, files);
  expect(result.status).toBe("failed");
  expect(result.error).toMatch(message);
  expect(await importedRows()).toBe(before);
  const left = await db.selectFrom("import_uploads").select("import_id").where("import_id", "=", result.id).execute();
  expect(left).toEqual([]);
  return result;
}

describe("bad input is refused with the file and line, and nothing of it stays", () => {
  it("a wrong header", () => refused([{ name: VISITORS, data: csv("date,visitors,pagevues\n2024-01-01,1,2\n") }], /imported_visitors_20240101_20240103\.csv, line 1: unknown column "pagevues"/));

  it("a header without a date", () => refused([{ name: VISITORS, data: csv("visitors,pageviews\n1,2\n") }], /line 1: the header has no date column/));

  it("a column twice", () => refused([{ name: VISITORS, data: csv("date,visitors,visitors\n2024-01-01,1,2\n") }], /line 1: column visitors appears twice/));

  it("a non-number", () => refused([{ name: VISITORS, data: csv("date,visitors\n2024-01-01,1\n2024-01-02,ehhhh\n") }], /line 3: "ehhhh" in column visitors is not a whole number/));

  it("a negative or fractional count", async () => {
    await refused([{ name: VISITORS, data: csv("date,visitors\n2024-01-01,-1\n") }], /line 2: "-1" in column visitors/);
    await refused([{ name: VISITORS, data: csv("date,visitors\n2024-01-01,1.5\n") }], /line 2: "1.5" in column visitors/);
  });

  it("a bad date", async () => {
    await refused([{ name: VISITORS, data: csv("date,visitors\n2024-02-30,1\n") }], /line 2: "2024-02-30" in column date is not a day/);
    await refused([{ name: VISITORS, data: csv("date,visitors\n01/02/2024,1\n") }], /line 2: "01\/02\/2024" in column date/);
  });

  it("a line with too few fields (Plausible's own invalid-CSV test)", () =>
    refused(
      [
        ...fixtureFiles((name) => name.startsWith("imported_browsers")),
        { name: "imported_devices_20211230_20211231.csv", data: csv('"date","device","visitors","visit_duration","bounces"\n"2021-12-30","Desktop",28,ehhhh....\n') },
      ],
      /imported_devices_20211230_20211231\.csv, line 2: the line has a different number of fields/,
    ));

  it("a country that is no ISO code", () => refused([{ name: "imported_locations_20240101_20240101.csv", data: csv("date,country,visitors\n2024-01-01,Germany,1\n") }], /line 2: "Germany" in column country is not a two-letter country code/));

  it("an unclosed quote", () => refused([{ name: VISITORS, data: csv('date,visitors\n"2024-01-01,1\n') }], /imported_visitors_20240101_20240103\.csv, line \d+: a quoted field is not closed/));

  it("a file name that is not one of the ten tables", async () => {
    await refused([{ name: "imported_goals_20240101_20240103.csv", data: csv("date\n") }], /imported_goals_20240101_20240103\.csv: imported_goals is not one of the ten tables/);
    await refused([{ name: "visitors.csv", data: csv("date\n") }], /visitors\.csv: not a file of Plausible's CSV export/);
    await refused([{ name: "imported_visitors_20240231_20240301.csv", data: csv("date\n") }], /the dates in the name are not real days/);
  });

  it("two files for one table", () =>
    refused(
      [
        { name: VISITORS, data: csv("date,visitors\n2024-01-01,1\n") },
        { name: "imported_visitors_20240104_20240105.csv", data: csv("date,visitors\n2024-01-04,1\n") },
      ],
      /imported_visitors_20240104_20240105\.csv: imported_visitors_20240101_20240103\.csv already holds imported_visitors/,
    ));

  it("an empty file and an empty zip", async () => {
    await refused([{ name: VISITORS, data: new Uint8Array() }], /imported_visitors_20240101_20240103\.csv: the file is empty/);
    await refused([{ name: "export.zip", data: zipSync({}) }], /export\.zip: the zip holds no CSV files/);
  });

  it("a zip with names leaving the archive", () =>
    refused([{ name: "export.zip", data: zipSync({ [`../${VISITORS}`]: csv("date,visitors\n2024-01-01,1\n") }) }], /export\.zip: an entry's name points outside the archive/));

  it("a zip bomb", () => refused([{ name: "export.zip", data: zipSync({ [VISITORS]: new Uint8Array(30 * 1024 * 1024) }, { level: 9 }) }], /export\.zip: .* unpacks to \d+× its packed size/));

  it("a file that is no zip", () => refused([{ name: "export.zip", data: csv("date,visitors\n") }], /export\.zip: not a readable zip/));

  it("a bad row after good batches leaves none of the good ones", async () => {
    const lines = Array.from({ length: 12_000 }, (_, i) => `${new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10)},1,2`);
    await refused([{ name: "imported_visitors_20000101_20321231.csv", data: csv(`date,visitors,pageviews\n${lines.join("\n")}\nnot-a-day,1,2\n`) }], /line 12002: "not-a-day"/);
  });

  it("a second row for a day of imported_visitors (the audit's 8,400 rows that overflowed every dashboard)", async () => {
    const lines = Array.from({ length: 8400 }, () => "2019-01-01,1,1,1,1099511627776");
    await refused(
      [{ name: "imported_visitors_20190101_20190101.csv", data: csv(`date,visitors,visits,pageviews,visit_duration\n${lines.join("\n")}\n`) }],
      /^imported_visitors_20190101_20190101\.csv, line 2: 1099511627776 in column visit_duration is more than 1,000,000,000,000/,
    );
    await refused(
      [{ name: "imported_visitors_20190101_20190102.csv", data: csv("date,visitors\n2019-01-01,1\n2019-01-02,1\n2019-01-01,1\n") }],
      /^imported_visitors_20190101_20190102\.csv, line 4: 2019-01-01 is here a second time \(first on line 2\); imported_visitors has one row per day$/,
    );
  });

  it("a day whose rows add up to more than a day of any site, naming the column", () =>
    refused(
      [{ name: "imported_pages_20190101_20190101.csv", data: csv("date,page,visitors,pageviews\n2019-01-01,/a,1,600000000000\n2019-01-01,/b,1,1\n2019-01-01,/c,1,400000000000\n") }],
      /^imported_pages_20190101_20190101\.csv, line 4: column pageviews adds up to more than 1,000,000,000,000 for 2019-01-01/,
    ));

  it("a NUL in a text cell, instead of retrying it as our failure", () =>
    refused([{ name: "imported_pages_20190101_20190101.csv", data: csv("date,page,pageviews\n2019-01-01,/a\u0000b,1\n") }], /^imported_pages_20190101_20190101\.csv, line 2: the value in column page holds a control character/));

  it("a line break or a tab in a text cell, which no page has and no filter could name", async () => {
    await refused([{ name: "imported_pages_20190101_20190101.csv", data: csv('date,page,pageviews\n2019-01-01,"/multi\nline",1\n') }], /^imported_pages_20190101_20190101\.csv, line 3: the value in column page holds a control character/);
    await refused([{ name: "imported_sources_20190101_20190101.csv", data: csv("date,source,visitors\n2019-01-01,Goo\tgle,1\n") }], /^imported_sources_20190101_20190101\.csv, line 2: the value in column source holds a control character/);
  });

  it("more bounces than visits (entrances, exits) in a row: a bounce rate over 100%", async () => {
    await refused(
      [{ name: "imported_visitors_20200101_20200101.csv", data: csv("date,visitors,pageviews,bounces,visits,visit_duration\n2020-01-01,10,3,5,1,60\n") }],
      /^imported_visitors_20200101_20200101\.csv, line 2: 5 bounces are more than the row's 1 visits: a bounce is one of them$/,
    );
    await refused(
      [{ name: "imported_entry_pages_20200101_20200101.csv", data: csv("date,entry_page,visitors,entrances,bounces\n2020-01-01,/,3,3,3\n2020-01-01,/a,1,1,2\n") }],
      /^imported_entry_pages_20200101_20200101\.csv, line 3: 2 bounces are more than the row's 1 entrances/,
    );
  });

  it("a row outside the days of the file's name", () =>
    refused(
      [{ name: "imported_visitors_20190101_20190101.csv", data: csv("date,visitors\n2019-01-01,1\n2019-06-01,1\n") }],
      /^imported_visitors_20190101_20190101\.csv, line 3: 2019-06-01 is outside the days the file's name covers \(2019-01-01 to 2019-01-01\)/,
    ));

  it("an upload past the limit stops reading at the limit and leaves nothing", async () => {
    const site = await siteOwnedBy(db, userId);
    const id = await createImport(db, site.id, userId);
    const writer = new UploadWriter(db, id, 1024 * 1024);
    let sent = 0;
    const endless = new Readable({
      read() {
        sent += 64 * 1024;
        this.push(sent > 2 * 1024 * 1024 * 1024 ? null : Buffer.alloc(64 * 1024, 0x41));
      },
    });
    await expect(writer.addFile("export.zip", endless)).rejects.toBeInstanceOf(UploadTooLarge);
    expect(sent).toBeLessThan(4 * 1024 * 1024);
    await writer.abandon();
    expect(await db.selectFrom("imports").select("id").where("id", "=", id).execute()).toEqual([]);
    expect(await db.selectFrom("import_uploads").select("import_id").where("import_id", "=", id).execute()).toEqual([]);
  });
});

describe("which days are imported", () => {
  it("only days before the site's first own event, saying which were left out and why", async () => {
    const site = await siteOwnedBy(db, userId);
    await db
      .insertInto("events")
      .values({ site_id: site.id, ts: "2024-01-02T10:00:00Z", day: "2024-01-02", name: "pageview", pathname: "/", referrer_source: "", referrer: "", utm_source: "", utm_medium: "", utm_campaign: "", country: "", device: "", browser: "", os: "", visitor_id: 1, session_id: 1, entry_page: "/" })
      .execute();
    const result = await importFiles(db, site.id, userId, [{ name: VISITORS, data: csv("date,visitors,pageviews\n2024-01-01,1,10\n2024-01-02,2,20\n2024-01-03,3,30\n") }]);
    expect(result).toMatchObject({ status: "completed", from: "2024-01-01", to: "2024-01-01", pageviews: 10 });
    expect(result.skipped).toBe("2 days (2024-01-02 to 2024-01-03) left out: the site has its own data from 2024-01-02");
  });

  it("only days before today in the site's time zone: today's and later days would count again once its own data comes", async () => {
    const site = await siteOwnedBy(db, userId);
    await db.updateTable("sites").set({ timezone: "Pacific/Kiritimati" }).where("id", "=", site.id).execute();
    const id = await createImport(db, site.id, userId);
    const writer = new UploadWriter(db, id);
    await writer.addFile("imported_visitors_20291230_20300102.csv", Readable.from([Buffer.from("date,visitors,pageviews\n2029-12-30,1,10\n2029-12-31,2,20\n2030-01-01,3,30\n2030-01-02,4,40\n")]));
    await writer.finish();
    // Noon on 31 December in UTC is already New Year's Day at UTC+14.
    await runImports(db, { owner: "test", clock: () => new Date("2029-12-31T12:00:00Z") });
    expect(await getImport(db, site.id, id)).toMatchObject({
      status: "completed",
      from: "2029-12-30",
      to: "2029-12-31",
      pageviews: 30,
      skipped: "2 days (2030-01-01 to 2030-01-02) left out: they are not over yet (today is 2030-01-01 in the site's time zone)",
    });
  });

  it("none of the audit's future file, and the list says why", async () => {
    const site = await siteOwnedBy(db, userId);
    const result = await importFiles(db, site.id, userId, [{ name: "imported_visitors_20300101_29991231.csv", data: csv("date,visitors,pageviews\n2030-01-01,1,10\n2999-12-31,1,10\n") }]);
    expect(result).toMatchObject({ status: "completed", from: null, to: null, pageviews: 0, tables: [] });
    expect(result.skipped).toMatch(/^2 days \(2030-01-01 to 2999-12-31, with gaps\) left out: they are not over yet \(today is \d{4}-\d\d-\d\d in the site's time zone\)$/);
  });

  it("not the days an earlier import of the site added", async () => {
    const site = await siteOwnedBy(db, userId);
    await importFiles(db, site.id, userId, [{ name: VISITORS, data: csv("date,visitors,pageviews\n2024-01-01,1,10\n2024-01-02,2,20\n") }]);
    const second = await importFiles(db, site.id, userId, [{ name: "imported_visitors_20240102_20240103.csv", data: csv("date,visitors,pageviews\n2024-01-02,2,20\n2024-01-03,3,30\n") }]);
    expect(second).toMatchObject({ status: "completed", from: "2024-01-03", to: "2024-01-03", pageviews: 30, skipped: "1 day (2024-01-02) left out: an earlier import covers them" });
  });
});

describe("found by the fuzz", () => {
  it("an empty date on the first row", () => refused([{ name: VISITORS, data: csv("date,visitors\n,1\n") }], /line 2: "" in column date is not a day/));

  it("a site's starts in 24 hours are limited, and the refusal says when the next is free, as its Retry-After does", async () => {
    const site = await siteOwnedBy(db, userId);
    const start = Date.parse("2026-03-01T08:00:00Z");
    for (let i = 0; i < IMPORT_LIMITS.perSiteDay; i++) {
      const id = await createImport(db, site.id, userId, new Date(start + i * 60_000));
      await db.updateTable("imports").set({ status: "failed" }).where("id", "=", id).execute();
    }
    const refusal = await createImport(db, site.id, userId, new Date(start + 90 * 60_000)).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(TooManyRequests);
    // The first start ages out of the window 22.5 hours later.
    expect((refusal as TooManyRequests).retryAfterSeconds).toBe(22.5 * 3600);
    expect((refusal as TooManyRequests).message).toBe(`A site can start ${IMPORT_LIMITS.perSiteDay} imports in 24 hours. Try again in 23 hours.`);
  });
});
