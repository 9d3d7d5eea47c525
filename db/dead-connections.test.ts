import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { createDb } from "./client.js";
import { isConnectionLost } from "./dead-connections.js";

const url = process.env.DATABASE_URL;

describe.skipIf(!url)("a connection whose server side dies", () => {
  it("fails its query, and the pool goes on with a new connection instead of crashing", async () => {
    const db = createDb({ url: url!, maxConnections: 2 });
    const admin = createDb({ url: url!, maxConnections: 1 });
    try {
      let victim = 0;
      const transaction = db.transaction().execute(async (trx) => {
        victim = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid;
        await sql`select pg_sleep(5)`.execute(trx);
      });
      const failed = transaction.then(() => null, (error: unknown) => error);
      while (victim === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Only this transaction's backend: other tests may share the database.
      await sql`select pg_terminate_backend(${victim}::int)`.execute(admin);
      expect(await failed).toBeTruthy();
      // The server's goodbye may still reach the one query that takes the dead connection's place:
      // that query fails as a lost connection (a caller retries it), and nothing crashes.
      const first = await Promise.allSettled([sql`select 1 as one`.execute(db), sql`select 1 as one`.execute(db)]);
      for (const outcome of first) if (outcome.status === "rejected") expect(isConnectionLost(outcome.reason)).toBe(true);
      // Then both pool slots, used again and again: a dead one handed out again would crash here.
      for (let i = 0; i < 6; i++) {
        const again = await Promise.all([sql<{ one: number }>`select 1 as one`.execute(db), sql<{ one: number }>`select 1 as one`.execute(db)]);
        expect(again.map((r) => r.rows[0]!.one)).toEqual([1, 1]);
      }
    } finally {
      await db.destroy();
      await admin.destroy();
    }
  });
});
