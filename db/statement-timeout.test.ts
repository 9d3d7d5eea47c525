import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { emptyDb } from "../test/support/db.js";
import type { Db } from "./client.js";
import { migrateToLatest } from "./migrate.js";

const url = process.env.DATABASE_URL;

// statement_timeout is a PostgreSQL-server setting; PGlite runs in the app's own thread and has
// no timer to cancel a statement with (the README says what holds there).
describe.skipIf(!url)("the statement timeout on PostgreSQL", () => {
  let db: Db;
  beforeAll(async () => {
    db = await emptyDb({ statementTimeoutMs: 200, maxConnections: 2 });
  });

  it("cancels a request's statement that runs too long, with Postgres's query_canceled", async () => {
    const started = Date.now();
    await expect(sql`select pg_sleep(2)`.execute(db)).rejects.toMatchObject({ code: "57014" });
    expect(Date.now() - started).toBeLessThan(1_900);
  });

  it("is lifted for migrations and restored on their connection afterwards", async () => {
    await migrateToLatest(db);
    // Both pooled connections, the migrator's included, cancel long statements again.
    const sleeps = await Promise.allSettled([sql`select pg_sleep(1)`.execute(db), sql`select pg_sleep(1)`.execute(db)]);
    expect(sleeps.map((s) => (s.status === "rejected" ? (s.reason as { code?: string }).code : "ran"))).toEqual(["57014", "57014"]);
  });
});
