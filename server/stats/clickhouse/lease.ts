import { sql } from "kysely";
import type { Db } from "../../../db/client.js";

/**
 * A site's lease on copying its finished days into the shared copy, held in PostgreSQL: one
 * instance at a time copies a site, whichever took the lease first. Taking it again renews it;
 * it runs out on its own, so an instance that died holds nothing for long. The database's clock
 * decides, so instances whose clocks differ agree.
 */
export async function takeLease(db: Db, siteId: string, holder: string, ms: number): Promise<boolean> {
  try {
    const { rows } = await sql<{ holder: string }>`
      insert into clickhouse_copy_leases (site_id, holder, expires_at)
      values (${siteId}, ${holder}, clock_timestamp() + ${ms} * interval '1 millisecond')
      on conflict (site_id) do update set holder = excluded.holder, expires_at = excluded.expires_at
        where clickhouse_copy_leases.holder = excluded.holder or clickhouse_copy_leases.expires_at < clock_timestamp()
      returning holder`.execute(db);
    return rows.length === 1;
  } catch (error) {
    // The site was deleted meanwhile: there is nothing to copy.
    if ((error as { code?: string }).code === "23503") return false;
    throw error;
  }
}

export async function releaseLease(db: Db, siteId: string, holder: string): Promise<void> {
  await db.deleteFrom("clickhouse_copy_leases").where("site_id", "=", siteId).where("holder", "=", holder).execute();
}
