import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { freshDb } from "../test/support/db.js";

describe("bytea on both databases", () => {
  // PGlite gets converters of its own (db/client.ts): these must read back what they wrote.
  it("round-trips every byte value, a 1 MB upload chunk and an empty value", async () => {
    const db = await freshDb();
    await sql`create temporary table blobs (n int, data bytea)`.execute(db);
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const chunk = randomBytes(1024 * 1024);
    await sql`insert into blobs values (1, ${every}), (2, ${chunk}), (3, ${new Uint8Array()})`.execute(db);
    const { rows } = await sql<{ n: number; data: Uint8Array; length: number }>`select n, data, octet_length(data) as length from blobs order by n`.execute(db);
    expect(rows.map((r) => r.length)).toEqual([256, 1024 * 1024, 0]);
    expect(Buffer.from(rows[0]!.data).equals(every)).toBe(true);
    expect(Buffer.from(rows[1]!.data).equals(chunk)).toBe(true);
    expect(rows[2]!.data.length).toBe(0);
  });
});
