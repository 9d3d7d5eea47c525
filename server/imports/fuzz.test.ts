import fc from "fast-check";
import { sql } from "kysely";
import { strToU8, zipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { freshDb } from "../../test/support/db.js";
import { signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { fixtureFiles, importFiles } from "../../test/support/imports.js";
import { TABLES } from "./tables.js";

/**
 * Generated bad input, like the forms' fuzz: Plausible's files with bytes flipped, lines cut,
 * cells replaced and names changed, loose or zipped. Every import either completes or fails with
 * a message that names a file; a failed one leaves no row; nothing throws past the job.
 */
let db: Db;
let userId: string;

beforeAll(async () => {
  db = await freshDb();
  userId = (await signedIn(db, "fuzz")).user.id;
});

const rowsOf = async (importId: string) => {
  let total = 0;
  for (const table of TABLES) total += (await sql<{ n: number }>`select count(*)::int8 as n from ${sql.table(table)} where import_id = ${importId}`.execute(db)).rows[0]!.n;
  return total;
};

const CELLS = ["", "-1", "1.5", "1e3", "NaN", "\u0000", '"', '""', "2024-02-30", "9".repeat(30), "é", "\uFEFF", "x".repeat(3000), "ZZZ", "de", "../../etc/passwd"];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("cell" as const), line: fc.nat({ max: 30 }), cell: fc.nat({ max: 12 }), value: fc.constantFrom(...CELLS) }),
  fc.record({ kind: fc.constant("rename" as const), name: fc.constantFrom("imported_goals_20240101_20240101.csv", "../imported_visitors_20240101_20240101.csv", "imported_visitors_2024_2024.csv", "a.txt", "") }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(file: { name: string; data: Buffer }, m: Mutation): { name: string; data: Buffer } {
  const data = Buffer.from(file.data);
  switch (m.kind) {
    case "flip":
      if (data.length) data[m.at % data.length] = m.byte;
      return { name: file.name, data };
    case "cut":
      return { name: file.name, data: data.subarray(0, data.length ? m.at % data.length : 0) };
    case "cell": {
      const lines = data.toString("utf8").split("\n");
      const line = lines[m.line % lines.length]!.split(",");
      line[m.cell % line.length] = m.value;
      lines[m.line % lines.length] = line.join(",");
      return { name: file.name, data: Buffer.from(lines.join("\n")) };
    }
    case "rename":
      return { name: m.name || file.name, data };
  }
  return file;
}

describe("fuzzed uploads", () => {
  it("complete, or fail naming a file and leave no row", async () => {
    const files = fixtureFiles();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: files.length - 1 }), mutation), { minLength: 1, maxLength: 3 }), fc.boolean(), async (mutations, zipped) => {
        const changed: { name: string; data: Buffer }[] = [...files];
        for (const [i, m] of mutations) changed[i] = mutate(changed[i]!, m);
        const upload = zipped ? [{ name: "export.zip", data: Buffer.from(zipSync(Object.fromEntries(changed.map((f) => [f.name, strToU8(f.data.toString("latin1"))])))) }] : changed;
        // A site per upload: a site may start only so many imports a day.
        const site = await siteOwnedBy(db, userId);
        const result = await importFiles(db, site.id, userId, upload);
        if (result.status === "failed") {
          expect(result.error).toMatch(/imported_|\.csv|\.zip|upload/i);
          expect(result.error).not.toMatch(/on our side/);
          expect(await rowsOf(result.id)).toBe(0);
        } else {
          expect(result.status).toBe("completed");
        }
      }),
      { numRuns: 40, seed: 28 },
    );
  }, 240_000);
});
