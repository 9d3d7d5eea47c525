import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { freshDb } from "../../test/support/db.js";
import { signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { fixtureFiles, importFiles } from "../../test/support/imports.js";
import { TABLES } from "./tables.js";

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
    const counts = await rowsOf(result.id);
    expect(counts.imported_visitors).toBe(6);
    expect(counts.imported_sources).toBe(5);
    expect(counts.imported_custom_events).toBe(2);
  });
});
