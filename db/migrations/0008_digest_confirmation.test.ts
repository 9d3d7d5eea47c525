import { type Migration, Migrator, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { emptyDb } from "../../test/support/db.js";
import { migrations, migrateToLatest } from "../migrate.js";

/** Every migration before this one, as a database that has not taken it yet has them. */
const before: Record<string, Migration> = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < "0008"));

describe("migration 0008 (digest confirmation)", () => {
  it("keeps recipients from before it subscribed: they count as confirmed when they were added", async () => {
    const db = await emptyDb();
    const { error } = await new Migrator({ db, provider: { getMigrations: async () => before } }).migrateToLatest();
    expect(error).toBeUndefined();
    const { rows } = await sql<{ id: string; created_at: Date }>`
      with u as (insert into users (email, password_hash) values ('old@example.test', 'x') returning id),
           s as (insert into sites (domain, timezone) values ('old.example', 'UTC') returning id),
           l as (insert into shared_links (site_id, name, slug) select s.id, 'Old link', 'oldslug0123456789abcd' from s returning id)
      insert into digest_recipients (link_id, email, unsubscribe_token, created_at)
      select l.id, e.email, e.token, timestamptz '2026-01-05 10:00Z' from l,
        (values ('kept@board.test', 'k'), ('gone@board.test', 'g')) as e(email, token)
      returning id, created_at`.execute(db);
    await sql`update digest_recipients set unsubscribed_at = timestamptz '2026-02-01 00:00Z' where email = 'gone@board.test'`.execute(db);
    await migrateToLatest(db);
    const after = await db.selectFrom("digest_recipients").select(["email", "created_at", "confirmed_at", "unsubscribed_at", "confirm_token_hash", "added_by"]).orderBy("email").execute();
    expect(after).toEqual([
      { email: "gone@board.test", created_at: rows[0]!.created_at, confirmed_at: rows[0]!.created_at, unsubscribed_at: new Date("2026-02-01T00:00:00Z"), confirm_token_hash: null, added_by: null },
      { email: "kept@board.test", created_at: rows[0]!.created_at, confirmed_at: rows[0]!.created_at, unsubscribed_at: null, confirm_token_hash: null, added_by: null },
    ]);
  });
});
