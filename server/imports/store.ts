import { type Selectable, sql } from "kysely";
import type { Db } from "../../db/client.js";
import type { ImportsTable } from "../../db/schema.js";
import type { ImportSummary } from "../schemas/imports.js";
import { Conflict, NotFound, TooManyRequests } from "../errors.js";
import { limitKey } from "../net/client-address.js";
import { takeHit } from "../rate-limit.js";
import { IMPORT_LIMITS } from "./limits.js";
import type { Batch } from "./parse-csv.js";
import { SHAPES, TABLES } from "./tables.js";

const DAY_MS = 24 * 3600_000;

/** "3 hours", "12 minutes": how long until a refused start is free, rounded up. */
function inWords(seconds: number): string {
  const [n, unit] = seconds >= 3600 ? [Math.ceil(seconds / 3600), "hour"] : [Math.ceil(seconds / 60), "minute"];
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

export type { ImportSummary };

export const SOURCE_PLAUSIBLE = "Plausible CSV";

export async function listImports(db: Db, siteId: string): Promise<ImportSummary[]> {
  const rows = await db.selectFrom("imports").selectAll().where("site_id", "=", siteId).orderBy("created_at", "desc").limit(100).execute();
  const tables = await tablesOf(db, rows);
  return rows.map((row) => summaryOf(row, tables.get(row.id) ?? []));
}

export async function getImport(db: Db, siteId: string, id: string): Promise<ImportSummary> {
  const row = await db.selectFrom("imports").selectAll().where("site_id", "=", siteId).where("id", "=", id).executeTakeFirst();
  if (!row) throw new NotFound("Import not found for this site");
  return summaryOf(row, (await tablesOf(db, [row])).get(row.id) ?? []);
}

/** The tables each completed import added rows to: one index probe per import and table. */
async function tablesOf(db: Db, imports: Selectable<ImportsTable>[]): Promise<Map<string, string[]>> {
  const ids = imports.filter((i) => i.status === "completed").map((i) => i.id);
  const result = new Map<string, string[]>();
  if (ids.length === 0) return result;
  const probes = TABLES.map((t) => sql`select i.id, ${t}::text as name from unnest(${ids}::uuid[]) as i(id) where exists (select 1 from ${sql.table(t)} r where r.import_id = i.id)`);
  const { rows } = await sql<{ id: string; name: string }>`${sql.join(probes, sql` union all `)}`.execute(db);
  // In the tables' own order, whatever order the union returns them in.
  for (const table of TABLES) for (const row of rows) if (row.name === table) result.set(row.id, [...(result.get(row.id) ?? []), table]);
  return result;
}

const summaryOf = (row: Selectable<ImportsTable>, tables: string[]): ImportSummary => ({
  id: row.id,
  source: row.source,
  files: row.file_names,
  status: row.status,
  progress: row.progress,
  from: row.date_from,
  to: row.date_to,
  pageviews: row.pageviews,
  tables,
  rows: row.rows_read,
  skipped: row.skipped,
  error: row.error,
  createdAt: row.created_at.toISOString(),
  completedAt: row.completed_at?.toISOString() ?? null,
});

/**
 * A new import, uploading. One per site at a time (a second would race the first for the same
 * days), and a bounded number per site and day: each is a job of minutes of database work.
 */
export async function createImport(db: Db, siteId: string, userId: string, now = new Date()): Promise<string> {
  return db.transaction().execute(async (trx) => {
    // One site's imports are started one at a time, whichever instance takes them.
    await sql`select id from sites where id = ${siteId} for update`.execute(trx);
    const active = await trx
      .selectFrom("imports")
      .select("id")
      .where("site_id", "=", siteId)
      .where((eb) => eb.or([eb("status", "in", ["pending", "running"]), eb.and([eb("status", "=", "uploading"), eb("updated_at", ">", new Date(now.getTime() - IMPORT_LIMITS.uploadStaleMs))])]))
      .limit(1)
      .executeTakeFirst();
    if (active) throw new Conflict("An import of this site is still running. Wait for it to finish, or delete it, before starting another.");
    const recent = await trx
      .selectFrom("imports")
      .select("created_at")
      .where("site_id", "=", siteId)
      .where("created_at", ">", new Date(now.getTime() - DAY_MS))
      .orderBy("created_at", "desc")
      .limit(IMPORT_LIMITS.perSiteDay)
      .execute();
    if (recent.length >= IMPORT_LIMITS.perSiteDay) {
      // The window is the last 24 hours: the next start is free once the oldest of them is older.
      const seconds = Math.max(1, Math.ceil((recent.at(-1)!.created_at.getTime() + DAY_MS - now.getTime()) / 1000));
      throw new TooManyRequests(`A site can start ${IMPORT_LIMITS.perSiteDay} imports in 24 hours. Try again in ${inWords(seconds)}.`, seconds);
    }
    const row = await trx.insertInto("imports").values({ site_id: siteId, source: SOURCE_PLAUSIBLE, created_by: userId, created_at: now, updated_at: now }).returning("id").executeTakeFirstOrThrow();
    return row.id;
  });
}

/**
 * Counts an upload before it is read, for the account and for the client network (an IPv4
 * address or an IPv6 /64): a site's own daily limit counts only imports that stay listed, so
 * without these an upload cut off at 199 MB could be sent again and again, from new sites too.
 */
export async function takeUploadHit(db: Db, userId: string, client: string, now = new Date()): Promise<void> {
  const DAY = 24 * 60;
  await takeHit(
    db,
    [
      { key: limitKey("import-upload-account", userId), max: IMPORT_LIMITS.perAccountDay, windowMinutes: DAY, message: `An account can start ${IMPORT_LIMITS.perAccountDay} imports a day. Try again tomorrow.` },
      { key: limitKey("import-upload-network", client), max: IMPORT_LIMITS.perNetworkDay, windowMinutes: DAY, message: `${IMPORT_LIMITS.perNetworkDay} imports a day can be started from one network. Try again tomorrow.` },
    ],
    now,
  );
}

export async function appendChunk(db: Db, importId: string, fileNo: number, chunkNo: number, name: string, data: Uint8Array): Promise<void> {
  await db.insertInto("import_uploads").values({ import_id: importId, file_no: fileNo, chunk_no: chunkNo, name, data }).execute();
}

/** The upload is whole: the job may take it. */
export async function finishUpload(db: Db, importId: string, files: string[], bytes: number): Promise<void> {
  await db
    .updateTable("imports")
    .set({ status: "pending", file_names: files.join(", ").slice(0, 2000), upload_bytes: bytes, updated_at: new Date() })
    .where("id", "=", importId)
    .where("status", "=", "uploading")
    .execute();
}

/** An upload that did not finish leaves nothing behind. */
export async function abandonUpload(db: Db, importId: string): Promise<void> {
  await db.deleteFrom("imports").where("id", "=", importId).where("status", "=", "uploading").execute();
}

/** Deletes an import and, through the foreign keys, every row it added. */
export async function deleteImport(db: Db, siteId: string, id: string): Promise<void> {
  const deleted = await db.deleteFrom("imports").where("site_id", "=", siteId).where("id", "=", id).executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) throw new NotFound("Import not found for this site");
}

/**
 * Rows of one table into the import's rows: one statement per batch, each column an array. Only
 * while `owner` holds the import's lease: an instance whose lease ran out (another took the import
 * over and cleared its rows) or whose import was deleted writes nothing more.
 */
export async function insertBatch(db: Db, importId: string, owner: string, batch: Batch): Promise<void> {
  const shape = SHAPES[batch.table];
  const columns = ["date", ...shape.texts, ...shape.metrics];
  const arrays = [
    sql`${batch.dates}::date[]`,
    ...batch.texts.map((values) => sql`${values}::text[]`),
    ...batch.metrics.map((values) => sql`${values.map(String)}::int8[]`),
  ];
  await sql`insert into ${sql.table(batch.table)} (import_id, ${sql.join(columns.map((c) => sql.ref(c)))})
    select ${importId}::uuid, * from unnest(${sql.join(arrays)})
    where exists (select 1 from imports where id = ${importId} and lease_owner = ${owner} and status = 'running')`.execute(db);
}

/** Rows a failed or restarted attempt left behind. */
export async function deleteRows(db: Db, importId: string): Promise<void> {
  for (const table of TABLES) await sql`delete from ${sql.table(table)} where import_id = ${importId}`.execute(db);
}
