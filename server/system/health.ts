import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import type { EngineHealth } from "../stats/engines.js";

/**
 * `stats` appears with an engine that can be away (the column store's process, ClickHouse):
 * "degraded" while it is (views are answered from the tables meanwhile, so the instance still serves).
 */
export async function checkHealth({ db, statsHealth }: { db: Db; statsHealth(): EngineHealth | null }): Promise<{ db: "ok"; stats?: "ok" | "degraded"; statsReason?: string }> {
  await sql`select 1`.execute(db);
  const stats = statsHealth();
  if (!stats) return { db: "ok" };
  return stats.state === "ok" ? { db: "ok", stats: "ok" } : { db: "ok", stats: "degraded", statsReason: stats.reason };
}

/** Touches the tables every page reads, so their first real use is not a cold one. */
export async function warmUp(db: Db): Promise<void> {
  await sql`select (select count(*) from shared_links) + (select count(*) from sessions)`.execute(db);
}
