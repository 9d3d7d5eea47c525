// A throwaway database per size: a fresh database on the DATABASE_URL server, or a PGlite data dir
// under bench/.scratch. Bulk loading goes through COPY on both.
import { readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PGlite } from "@electric-sql/pglite";
import { sql } from "kysely";
import postgres from "postgres";
import { createDb, type Db, openPglite } from "../db/client.js";
import { migrateToLatest } from "../db/migrate.js";

export type DbKind = "postgres" | "pglite";

export interface Scratch {
  kind: DbKind;
  /** Shown in the report: which database, which version. */
  version: string;
  db: Db;
  /** What the production server needs to open the same database. */
  serverEnv: Record<string, string>;
  /** COPY rows into table(columns), given as chunks of COPY text lines. */
  copy(table: string, columns: string[], chunks: Iterable<Buffer>): Promise<void>;
  /** Closes the bench's own connection; PGlite allows one process at a time. */
  close(): Promise<void>;
  /**
   * A connection of its own for checks while the server under test has the database (counting
   * the rows it wrote); null on PGlite, which only the server may open then.
   */
  observer(): { db: Db; close(): Promise<void> } | null;
  /** Removes the database for good. */
  drop(): Promise<void>;
}

const SCRATCH_DIR = resolve("bench/.scratch");
const PGLITE_VERSION: string = JSON.parse(readFileSync("node_modules/@electric-sql/pglite/package.json", "utf8")).version;

export async function createScratch(label: string, databaseUrl: string | undefined): Promise<Scratch> {
  const scratch = databaseUrl ? await postgresScratch(label, databaseUrl) : pgliteScratch(label);
  await migrateToLatest(scratch.db);
  const { rows } = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(scratch.db);
  scratch.version = rows[0]?.v ?? "?";
  if (scratch.kind === "pglite") scratch.version = `${scratch.version} (PGlite ${PGLITE_VERSION})`;
  return scratch;
}

async function postgresScratch(label: string, url: string): Promise<Scratch> {
  const name = `glimpse_bench_${process.pid}_${label}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name}`);
  await admin.unsafe(`create database ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  const db = createDb({ url: target.toString() });
  const raw = postgres(target.toString(), { max: 1, onnotice: () => {} });
  // The loading connection skips per-row foreign-key triggers (the site row exists); superuser
  // only, so elsewhere the load is merely slower.
  await raw.unsafe("set session_replication_role = replica").catch(() => {});
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all([db.destroy(), raw.end()]);
  };
  return {
    kind: "postgres",
    version: "",
    db,
    serverEnv: { DATABASE_URL: target.toString() },
    async copy(table, columns, chunks) {
      const stream = await raw.unsafe(`copy ${table} (${columns.join(", ")}) from stdin`).writable();
      await pipeline(Readable.from(chunks), stream);
    },
    close,
    observer() {
      const watcher = createDb({ url: target.toString() });
      return { db: watcher, close: () => watcher.destroy() };
    },
    async drop() {
      await close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

function pgliteScratch(label: string): Scratch {
  const dataDir = resolve(SCRATCH_DIR, `${process.pid}-${label}`);
  rmSync(dataDir, { recursive: true, force: true });
  // The server opens DATA_DIR/pglite (server/runtime.ts), so the bench seeds that same directory.
  const pglite: PGlite = openPglite(`${dataDir}/pglite`);
  const db = createDb({ pglite });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await db.destroy();
    if (!pglite.closed) await pglite.close();
  };
  return {
    kind: "pglite",
    version: "",
    db,
    serverEnv: { DATA_DIR: dataDir },
    async copy(table, columns, chunks) {
      // One COPY per ~16 MB, so a big load never builds one giant blob.
      let parts: Buffer[] = [];
      let size = 0;
      const flush = async () => {
        if (!parts.length) return;
        await pglite.query(`copy ${table} (${columns.join(", ")}) from '/dev/blob'`, [], { blob: new Blob(parts as BlobPart[]) });
        parts = [];
        size = 0;
      };
      await pglite.query("set session_replication_role = replica");
      for (const part of chunks) {
        parts.push(part);
        size += part.length;
        if (size >= 16 << 20) await flush();
      }
      await flush();
      await pglite.query("reset session_replication_role");
    },
    close,
    observer: () => null,
    async drop() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One row in COPY text format: tab-separated, \N for null, backslash escapes. */
export function copyLine(values: unknown[]): string {
  return `${values.map(copyValue).join("\t")}\n`;
}

function copyValue(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  if (value instanceof Date) return value.toISOString();
  return String(value).replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!);
}
