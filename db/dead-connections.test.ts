import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { createDb } from "./client.js";

const url = process.env.DATABASE_URL;

describe.skipIf(!url)("a connection whose server side dies", () => {
  it("fails its query, and the pool goes on with a new connection instead of crashing", async () => {
    const db = createDb({ url: url!, maxConnections: 2 });
    const admin = createDb({ url: url!, maxConnections: 1 });
    try {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
      const victim = db.transaction().execute(async (trx) => {
        await sql`select pg_sleep(0.3)`.execute(trx);
        await sql`select pg_sleep(5)`.execute(trx);
      });
      const failed = victim.then(() => null, (error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_sleep(%' and pid <> pg_backend_pid() and datname = current_database()`.execute(admin);
      expect(await failed).toBeTruthy();
      // Both pool slots, used again and again: a dead one handed out again would crash here.
      for (let i = 0; i < 6; i++) {
        const again = await Promise.all([sql<{ one: number }>`select 1 as one`.execute(db), sql<{ one: number }>`select 1 as one`.execute(db)]);
        expect(again.map((r) => r.rows[0]!.one)).toEqual([1, 1]);
      }
      expect(rows[0]!.pid).toBeGreaterThan(0);
    } finally {
      await db.destroy();
      await admin.destroy();
    }
  });
});
