import type { Db } from "../../db/client.js";

/** Events per day of a site from its visits (one small row per visit): how copies size their chunks and reads. */
export async function daySizes(db: Db, siteId: string, from: string, to: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("visits")
    .select((eb) => ["day", eb.fn.sum<number>("events").as("events")])
    .where("site_id", "=", siteId)
    .where("day", ">=", from)
    .where("day", "<=", to)
    .groupBy("day")
    .execute();
  return new Map(rows.map((r) => [r.day, Number(r.events)]));
}
