import { sql } from "kysely";
import type { Db } from "../../db/client.js";

export async function checkHealth(db: Db): Promise<{ db: "ok" }> {
  await sql`select 1`.execute(db);
  return { db: "ok" };
}
