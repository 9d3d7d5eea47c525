import { Kysely, sql } from "kysely";
import { PostgresJSDialect } from "kysely-postgres-js";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { preparing } from "./prepared.js";

const url = process.env.DATABASE_URL;

// Prepared statements are a PostgreSQL-server matter; PGlite runs in process and has no round trips.
describe.skipIf(!url)("prepared statements on PostgreSQL", () => {
  // One connection, so every query below runs in the session whose statements we list.
  const client = postgres(url!, { max: 1, onnotice: () => {} });
  const db = new Kysely<Record<string, never>>({ dialect: new PostgresJSDialect({ postgres: preparing(client, 2) }) });
  afterAll(() => db.destroy());

  // postgres.js prepares its own array-type lookup when it connects; only ours count here.
  const preparedTexts = async () =>
    (await sql<{ statement: string }>`select statement from pg_prepared_statements where statement not like '%pg_catalog.pg_type%'`.execute(db)).rows.map(
      (r) => r.statement,
    );

  it("prepares the first texts once each, and runs texts past the cap unnamed", async () => {
    for (let i = 0; i < 3; i++) {
      expect((await sql<{ n: number }>`select ${i}::int + 1 as n`.execute(db)).rows[0]!.n).toBe(i + 1);
      expect((await sql<{ s: string }>`select ${"x"}::text || 'y' as s`.execute(db)).rows[0]!.s).toBe("xy");
      expect((await sql<{ n: number }>`select ${i}::int * 2 as n`.execute(db)).rows[0]!.n).toBe(i * 2);
    }
    const texts = await preparedTexts();
    // The listing query itself is the cap's third text, so it is not prepared either.
    expect(texts.filter((t) => t.includes("+ 1 as n"))).toHaveLength(1);
    expect(texts.filter((t) => t.includes("|| 'y'"))).toHaveLength(1);
    expect(texts.some((t) => t.includes("* 2 as n"))).toBe(false);
    expect(texts).toHaveLength(2);
  });
});
