import { readFileSync } from "node:fs";
import postgres from "postgres";
import { afterAll, inject } from "vitest";
import { createDb, type Db, openPglite } from "../../db/client.js";
import { migrateToLatest } from "../../db/migrate.js";

// Registered when a test file imports this module: hooks added later, from inside a beforeAll,
// would never run, and every Postgres test database would be left behind.
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * One fresh database per test file: a copy of the migrated PGlite template, or, when DATABASE_URL
 * is set, a new database on that server that is dropped when the file is done.
 */
export async function freshDb(): Promise<Db> {
  const url = process.env.DATABASE_URL;
  return url ? freshPostgres(url) : freshPglite();
}

/**
 * A database with no tables at all, for tests of the migrations themselves (never the server's
 * own database: a migration run there would leave it at this branch's schema).
 */
export async function emptyDb(options: { statementTimeoutMs?: number; maxConnections?: number } = {}): Promise<Db> {
  const url = process.env.DATABASE_URL;
  if (url) return freshPostgres(url, false, options);
  const db = createDb({ pglite: openPglite("memory") });
  cleanups.push(() => db.destroy());
  return db;
}

async function freshPglite(): Promise<Db> {
  const template = inject("pgliteTemplate");
  const pglite = openPglite(template ? new Blob([readFileSync(template)]) : "memory");
  const db = createDb({ pglite });
  if (!template) await migrateToLatest(db);
  cleanups.push(() => db.destroy());
  return db;
}

const urls = new WeakMap<Db, string>();

/** The URL of a fresh PostgreSQL test database (for a process of its own); null on PGlite. */
export const databaseUrl = (db: Db): string | null => urls.get(db) ?? null;

/**
 * Another connection pool on the same Postgres database, as a second app instance would have
 * (closed when the file is done). Null on PGlite, which only one process can open.
 */
export function anotherInstance(db: Db): Db | null {
  const url = urls.get(db);
  if (!url) return null;
  const other = createDb({ url, maxConnections: 10 });
  cleanups.push(() => other.destroy());
  return other;
}

async function freshPostgres(url: string, migrate = true, pool: { statementTimeoutMs?: number; maxConnections?: number } = {}): Promise<Db> {
  const name = `glimpse_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  const db = createDb({ url: dbUrl.toString(), maxConnections: pool.maxConnections ?? 20, statementTimeoutMs: pool.statementTimeoutMs });
  urls.set(db, dbUrl.toString());
  if (migrate) await migrateToLatest(db);
  cleanups.push(async () => {
    await db.destroy();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  return db;
}
