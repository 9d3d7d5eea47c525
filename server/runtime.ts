import { createDb, type Db } from "../db/client.js";
import { migrateToLatest } from "../db/migrate.js";
import { type Env, env } from "./env.js";

/** Postgres when DATABASE_URL is set, otherwise the embedded PGlite under DATA_DIR/pglite. */
export function openDatabase(config: Env = env()): Db {
  if (config.databaseUrl) return createDb({ url: config.databaseUrl });
  return createDb({ dataDir: `${config.dataDir.replace(/\/+$/, "")}/pglite` });
}

export function describeDatabase(config: Env = env()): string {
  if (!config.databaseUrl) return `embedded PostgreSQL (PGlite) in ${config.dataDir}/pglite`;
  const url = new URL(config.databaseUrl);
  return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`;
}

export async function migrate(db: Db): Promise<number> {
  const results = await migrateToLatest(db);
  return results.length;
}
