import { Readable } from "node:stream";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { freshDb } from "../../test/support/db.js";
import { signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { fixtureFiles, importFiles } from "../../test/support/imports.js";
import { LEASE_MS, runImports } from "./job.js";
import { describeAdded } from "../schemas/imports.js";
import { createImport, deleteImport, getImport, insertBatch } from "./store.js";
import { TABLES } from "./tables.js";
import { UploadWriter } from "./upload.js";

let db: Db;
let userId: string;

beforeAll(async () => {
  db = await freshDb();
  userId = (await signedIn(db, "importer")).user.id;
});

const rowsOf = async (importId: string) => {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{ n: number }>`select count(*)::int8 as n from ${sql.table(table)} where import_id = ${importId}`.execute(db);
    counts[table] = rows[0]!.n;
  }
  return counts;
};

describe("importing Plausible's CSV files", () => {
  it("imports the rows of Plausible's importer test: imported_visitors adds 99 pageviews over 2011-12-25…30", async () => {
    const site = await siteOwnedBy(db, userId);
    const result = await importFiles(db, site.id, userId, fixtureFiles());
    expect(result.error).toBeNull();
    expect(result).toMatchObject({ status: "completed", progress: 100, from: "2011-12-25", to: "2022-01-06", pageviews: 99, skipped: "" });
    expect(result.tables).toEqual(["imported_visitors", "imported_sources", "imported_pages", "imported_entry_pages", "imported_exit_pages", "imported_custom_events", "imported_locations", "imported_devices", "imported_browsers", "imported_operating_systems"]);
    expect(describeAdded(result)).toBe("99 pageviews");
    const counts = await rowsOf(result.id);
    expect(counts.imported_visitors).toBe(6);
    expect(counts.imported_sources).toBe(5);
    expect(counts.imported_custom_events).toBe(2);
  });

  it("without imported_visitors, counts no pageviews (dashboards' totals gain none) and says which tables it added", async () => {
    const site = await siteOwnedBy(db, userId);
    const result = await importFiles(db, site.id, userId, fixtureFiles((name) => /^imported_(pages|sources)_/.test(name)));
    expect(result).toMatchObject({ status: "completed", pageviews: 0, tables: ["imported_sources", "imported_pages"] });
    expect(describeAdded(result)).toBe("no totals (no imported_visitors); breakdowns from sources, pages");
    expect((await getImport(db, site.id, result.id)).tables).toEqual(["imported_sources", "imported_pages"]);
  });
});

describe("the import job", () => {
  it("survives a restart: an import whose instance died is taken up after its lease, without the rows the dead attempt wrote", async () => {
    const site = await siteOwnedBy(db, userId);
    const id = await createImport(db, site.id, userId);
    const writer = new UploadWriter(db, id);
    for (const file of fixtureFiles((name) => name.startsWith("imported_visitors"))) await writer.addFile(file.name, Readable.from([file.data]));
    await writer.finish();
    // An instance claimed it, wrote some rows and died.
    const died = new Date();
    await db.updateTable("imports").set({ status: "running", lease_owner: "dead", lease_until: new Date(died.getTime() + LEASE_MS), attempts: 1 }).where("id", "=", id).execute();
    await sql`insert into imported_visitors (import_id, date, visitors, pageviews) values (${id}, '2011-12-25', 1000, 1000)`.execute(db);
    expect(await runImports(db, { owner: "alive" })).toBe(0);
    expect(await runImports(db, { owner: "alive", clock: () => new Date(died.getTime() + LEASE_MS + 1000) })).toBe(1);
    const row = await db.selectFrom("imports").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: "completed", pageviews: 99, attempts: 2, lease_owner: "alive" });
    const { rows } = await sql<{ pageviews: number }>`select sum(pageviews)::int8 as pageviews from imported_visitors where import_id = ${id}`.execute(db);
    expect(rows[0]!.pageviews).toBe(99);
    expect(await db.selectFrom("import_uploads").select("chunk_no").where("import_id", "=", id).execute()).toEqual([]);
  });

  it("an instance whose lease ran out writes no more rows", async () => {
    const site = await siteOwnedBy(db, userId);
    const id = await createImport(db, site.id, userId);
    await db.updateTable("imports").set({ status: "running", lease_owner: "b", lease_until: new Date(Date.now() + LEASE_MS) }).where("id", "=", id).execute();
    const batch = { table: "imported_visitors" as const, dates: ["2011-01-01"], texts: [], metrics: [[1], [2], [0], [1], [0]] };
    await insertBatch(db, id, "a", batch);
    expect((await rowsOf(id)).imported_visitors).toBe(0);
    await insertBatch(db, id, "b", batch);
    expect((await rowsOf(id)).imported_visitors).toBe(1);
  });

  it("an upload cut off when its instance stopped is failed after five minutes, its bytes removed", async () => {
    const site = await siteOwnedBy(db, userId);
    const id = await createImport(db, site.id, userId);
    const writer = new UploadWriter(db, id);
    await writer.addFile("export.zip", Readable.from([Buffer.from("PK")]));
    await runImports(db, { owner: "alive", clock: () => new Date(Date.now() + 4 * 60_000) });
    expect(await db.selectFrom("imports").select("status").where("id", "=", id).executeTakeFirstOrThrow()).toEqual({ status: "uploading" });
    await runImports(db, { owner: "alive", clock: () => new Date(Date.now() + 6 * 60_000) });
    expect(await db.selectFrom("imports").select(["status", "error"]).where("id", "=", id).executeTakeFirstOrThrow()).toEqual({ status: "failed", error: "The upload did not finish." });
    expect(await db.selectFrom("import_uploads").select("chunk_no").where("import_id", "=", id).execute()).toEqual([]);
  });

  it("deleting an import removes exactly the rows it added", async () => {
    const site = await siteOwnedBy(db, userId);
    const other = await siteOwnedBy(db, userId);
    const kept = await importFiles(db, other.id, userId, fixtureFiles());
    const gone = await importFiles(db, site.id, userId, fixtureFiles());
    const before = await rowsOf(kept.id);
    await deleteImport(db, site.id, gone.id);
    expect(Object.values(await rowsOf(gone.id)).every((n) => n === 0)).toBe(true);
    expect(await rowsOf(kept.id)).toEqual(before);
  });
});
