import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { addDays, localDay } from "../dates.js";
import { openUpload, type UploadedFile } from "./archive.js";
import { IMPORT_LIMITS } from "./limits.js";
import { ImportInputError, readTable, type TableResult } from "./parse-csv.js";
import { deleteRows, insertBatch } from "./store.js";

/**
 * The import job, kept in Postgres like the digests (digests/job.ts) so that any instance runs it
 * and a restart loses nothing: a waiting import is leased to one instance (FOR UPDATE SKIP LOCKED);
 * the lease is renewed as rows go in; an instance that dies leaves the lease to run out, and the
 * next one starts the import again from its upload, first deleting what the dead attempt wrote.
 * Dashboards read an import's rows only once it is completed, which happens in one statement at
 * the end: a failed or half-done import is never seen.
 */
export const LEASE_MS = 2 * 60_000;
export const MAX_ATTEMPTS = 3;

export interface JobOptions {
  owner: string;
  clock?: () => Date;
  log?: (line: string) => void;
  batchRows?: number;
}

interface Claimed {
  id: string;
  site_id: string;
  attempts: number;
}

/** Runs every import that is waiting (or whose instance died); returns how many it finished. */
export async function runImports(db: Db, options: JobOptions): Promise<number> {
  const now = (options.clock ?? (() => new Date()))();
  const stale = await db
    .updateTable("imports")
    .set({ status: "failed", error: "The upload did not finish.", updated_at: now })
    .where("status", "=", "uploading")
    .where("updated_at", "<", new Date(now.getTime() - IMPORT_LIMITS.uploadStaleMs))
    .returning("id")
    .execute();
  if (stale.length > 0) await db.deleteFrom("import_uploads").where("import_id", "in", stale.map((s) => s.id)).execute();
  let done = 0;
  for (let job = await claim(db, options); job; job = await claim(db, options)) {
    await runOne(db, job, options);
    done += 1;
  }
  return done;
}

async function claim(db: Db, options: JobOptions): Promise<Claimed | null> {
  const now = (options.clock ?? (() => new Date()))();
  // Attempts that all ended with their instance gone: given up, with the rows they left deleted.
  const exhausted = await db
    .updateTable("imports")
    .set({ status: "failed", error: `The import stopped ${MAX_ATTEMPTS} times without finishing.`, lease_until: null, updated_at: now })
    .where("status", "in", ["pending", "running"])
    .where("attempts", ">=", MAX_ATTEMPTS)
    .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", now)]))
    .returning("id")
    .execute();
  for (const row of exhausted) await deleteRows(db, row.id);
  const { rows } = await sql<Claimed>`
    update imports set status = 'running', lease_until = ${new Date(now.getTime() + LEASE_MS)}, lease_owner = ${options.owner},
      attempts = attempts + 1, progress = 0, rows_read = 0, updated_at = ${now}
    where id = (
      select id from imports
      where status in ('pending', 'running') and (lease_until is null or lease_until <= ${now}) and attempts < ${MAX_ATTEMPTS}
      order by created_at limit 1 for update skip locked
    )
    returning id, site_id, attempts`.execute(db);
  return rows[0] ?? null;
}

class LeaseLost extends Error {}

async function runOne(db: Db, job: Claimed, options: JobOptions): Promise<void> {
  const clock = options.clock ?? (() => new Date());
  const dir = await mkdtemp(join(tmpdir(), "glimpse-import-"));
  try {
    // A previous attempt's rows, if its instance died mid-way.
    await deleteRows(db, job.id);
    const files = await downloadUpload(db, job.id, dir);
    const { sources, close } = await openUpload(files, (path) => createReadStream(path));
    try {
      const rule = await dayRule(db, job, clock());
      const total = Math.max(1, sources.reduce((n, s) => n + s.size, 0));
      let read = 0;
      let rows = 0;
      const results: TableResult[] = [];
      let pageviews = 0;
      for (const source of sources) {
        const input = await source.open();
        input.on("data", (chunk: Buffer) => (read += chunk.length));
        const result = await readTable(
          input,
          source.name,
          source.table,
          async (batch) => {
            await insertBatch(db, job.id, options.owner, batch).catch((error: unknown) => {
              throw isDataException(error) ? new ImportInputError(`${source.name}: a value cannot be stored (${(error as Error).message})`) : error;
            });
            rows += batch.dates.length;
            await progress(db, job, options.owner, clock(), Math.min(99, Math.floor((read / total) * 100)), rows);
          },
          { days: source.days, keep: rule.keep, batchRows: options.batchRows },
        );
        results.push(result);
        // What the dashboards' totals gain: only imported_visitors adds to them.
        if (source.table === "imported_visitors") pageviews = result.pageviews;
      }
      const from = results.map((r) => r.from).filter((d): d is string => d !== null).sort()[0] ?? null;
      const to = results.map((r) => r.to).filter((d): d is string => d !== null).sort().at(-1) ?? null;
      const finished = await db
        .updateTable("imports")
        .set({
          status: "completed",
          progress: 100,
          rows_read: rows,
          date_from: from,
          date_to: to,
          pageviews,
          skipped: rule.describe(),
          lease_until: null,
          completed_at: clock(),
          updated_at: clock(),
        })
        .where("id", "=", job.id)
        .where("lease_owner", "=", options.owner)
        .where("status", "=", "running")
        .executeTakeFirst();
      if (Number(finished.numUpdatedRows) !== 1) throw new LeaseLost();
      await db.deleteFrom("import_uploads").where("import_id", "=", job.id).execute();
      options.log?.(`Imports: ${job.id} completed (${rows} rows)`);
    } finally {
      close();
    }
  } catch (error) {
    if (error instanceof LeaseLost) return;
    // Deleted meanwhile, with its site or alone: a write that failed on the rows it had is the delete's doing, not a failure.
    if (await deletedMeanwhile(db, job.id)) return;
    if (error instanceof ImportInputError || job.attempts >= MAX_ATTEMPTS) {
      await fail(db, job, options.owner, error instanceof ImportInputError ? error.message : "The import failed on our side. Please try again.");
      if (!(error instanceof ImportInputError)) options.log?.(`Imports: ${job.id} failed (${error instanceof Error ? error.message : String(error)})`);
      return;
    }
    // The database went away or similar: the lease runs out and an instance tries again.
    options.log?.(`Imports: ${job.id} stopped (${error instanceof Error ? error.message : String(error)}); trying again later`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** PostgreSQL's data exceptions (SQLSTATE class 22): a value out of range, text it cannot hold, … */
const isDataException = (error: unknown) => typeof (error as { code?: unknown })?.code === "string" && (error as { code: string }).code.startsWith("22");

/** True only when the import's row is known to be gone (a database that cannot say is not taken for a delete). */
async function deletedMeanwhile(db: Db, id: string): Promise<boolean> {
  try {
    return (await db.selectFrom("imports").select("id").where("id", "=", id).executeTakeFirst()) === undefined;
  } catch {
    return false;
  }
}

async function progress(db: Db, job: Claimed, owner: string, now: Date, percent: number, rows: number) {
  const renewed = await db
    .updateTable("imports")
    .set({ progress: percent, rows_read: rows, lease_until: new Date(now.getTime() + LEASE_MS), updated_at: now })
    .where("id", "=", job.id)
    .where("lease_owner", "=", owner)
    .where("status", "=", "running")
    .executeTakeFirst();
  // Deleted meanwhile, or another instance took over after our lease ran out.
  if (Number(renewed.numUpdatedRows) !== 1) throw new LeaseLost();
}

async function fail(db: Db, job: Claimed, owner: string, message: string) {
  await deleteRows(db, job.id);
  // Messages quote the file (a cell, a column, an entry's name): Postgres text takes no NUL.
  const error = message.replaceAll("\u0000", "\uFFFD").slice(0, 2000);
  await db
    .updateTable("imports")
    .set({ status: "failed", error, lease_until: null, progress: 0, updated_at: new Date() })
    .where("id", "=", job.id)
    .where("lease_owner", "=", owner)
    .execute();
  await db.deleteFrom("import_uploads").where("import_id", "=", job.id).execute();
}

/** The upload's files from the database to a temporary folder, a few chunks at a time. */
async function downloadUpload(db: Db, importId: string, dir: string): Promise<UploadedFile[]> {
  const files = await db
    .selectFrom("import_uploads")
    .select(["file_no", "name", (eb) => eb.fn.sum<number>(sql`octet_length(data)`).as("size")])
    .where("import_id", "=", importId)
    .groupBy(["file_no", "name"])
    .orderBy("file_no")
    .execute();
  if (files.length === 0) throw new ImportInputError("The upload holds no files");
  const result: UploadedFile[] = [];
  for (const file of files) {
    const path = join(dir, `${file.file_no}${/\.zip$/i.test(file.name) ? ".zip" : ".csv"}`);
    await pipeline(chunks(db, importId, file.file_no), createWriteStream(path));
    result.push({ name: file.name, path, size: Number(file.size) });
  }
  return result;
}

async function* chunks(db: Db, importId: string, fileNo: number) {
  for (let next = 0; ; next += 4) {
    const rows = await db
      .selectFrom("import_uploads")
      .select("data")
      .where("import_id", "=", importId)
      .where("file_no", "=", fileNo)
      .where("chunk_no", ">=", next)
      .where("chunk_no", "<", next + 4)
      .orderBy("chunk_no")
      .execute();
    if (rows.length === 0) return;
    for (const row of rows) yield Buffer.from(row.data);
  }
}

/**
 * Which days an import adds: those before the site's first own event (native data wins, as in
 * Plausible) and before today in the site's time zone (today's and later days get native data,
 * which would count on top), and not already added by another completed import of the site
 * (they would count twice). The sentence says which were left out and why.
 */
async function dayRule(db: Db, job: Claimed, now: Date) {
  const [site, first, others] = await Promise.all([
    db.selectFrom("sites").select("timezone").where("id", "=", job.site_id).executeTakeFirstOrThrow(),
    db.selectFrom("events").select((eb) => eb.fn.min<string>("day").as("day")).where("site_id", "=", job.site_id).executeTakeFirst(),
    db.selectFrom("imports").select(["date_from", "date_to"]).where("site_id", "=", job.site_id).where("status", "=", "completed").where("id", "!=", job.id).execute(),
  ]);
  const firstOwn = first?.day ?? null;
  const today = localDay(now, site.timezone);
  const covered = others.filter((o): o is { date_from: string; date_to: string } => o.date_from !== null && o.date_to !== null);
  const own = new Set<string>();
  const notOver = new Set<string>();
  const imported = new Set<string>();
  return {
    keep(day: string): boolean {
      if (day >= today) {
        notOver.add(day);
        return false;
      }
      if (firstOwn !== null && day >= firstOwn) {
        own.add(day);
        return false;
      }
      if (covered.some((o) => day >= o.date_from && day <= o.date_to)) {
        imported.add(day);
        return false;
      }
      return true;
    },
    describe(): string {
      const parts: string[] = [];
      if (notOver.size > 0) parts.push(`${spanOf(notOver)} left out: they are not over yet (today is ${today} in the site's time zone)`);
      if (own.size > 0) parts.push(`${spanOf(own)} left out: the site has its own data from ${firstOwn}`);
      if (imported.size > 0) parts.push(`${spanOf(imported)} left out: an earlier import covers them`);
      return parts.join("; ");
    },
  };
}

function spanOf(days: Set<string>): string {
  const sorted = [...days].sort();
  const count = sorted.length === 1 ? "1 day" : `${sorted.length} days`;
  const first = sorted[0]!;
  const last = sorted.at(-1)!;
  return first === last ? `${count} (${first})` : `${count} (${first} to ${last}${addDays(first, sorted.length - 1) === last ? "" : ", with gaps"})`;
}
