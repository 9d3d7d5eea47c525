import { sql } from "kysely";
import type { Db } from "../../db/client.js";

export async function checkHealth(db: Db): Promise<{ db: "ok" }> {
  await sql`select 1`.execute(db);
  return { db: "ok" };
}

/** Touches the tables every page reads, so their first real use is not a cold one. */
export async function warmUp(db: Db): Promise<void> {
  await sql`select (select count(*) from shared_links) + (select count(*) from sessions)`.execute(db);
}
