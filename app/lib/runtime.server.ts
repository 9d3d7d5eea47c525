import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { env } from "../../server/env.js";
import { describeDatabase, migrate, openDatabase } from "../../server/runtime.js";
import { flushAllViews } from "../../server/share/views.js";

let db: Db | undefined;

/** The process-wide database; opened by boot() before the server listens. */
export function getDb(): Db {
  db ??= openDatabase();
  return db;
}

export interface BootResult {
  production: boolean;
  port: number;
  host: string;
  publicUrl: string;
  publicOrigin: string;
  trustProxy: boolean;
  logRequests: boolean;
}

/** Validates the configuration, migrates, and seeds an empty embedded database. */
export async function boot({ log }: { log: (line: string) => void }): Promise<BootResult> {
  const config = env();
  const database = getDb();
  log(`Database: ${describeDatabase(config)}`);
  const publicUrl = new URL(config.publicUrl);
  if (config.production && publicUrl.protocol === "http:" && !["localhost", "127.0.0.1", "[::1]"].includes(publicUrl.hostname)) {
    log(`Warning: PUBLIC_URL is ${config.publicUrl}; in production cookies are Secure, so browsers keep them only over https. Serve Glimpse over https.`);
  }
  const applied = await migrate(database);
  if (applied > 0) log(`Applied ${applied} migration(s)`);
  if (config.seed && !config.databaseUrl) {
    const { seedIfEmpty } = await import("../../server/seed/demo.js");
    await seedIfEmpty(database, log);
  }
  return {
    production: config.production,
    port: config.port,
    host: config.host,
    publicUrl: config.publicUrl,
    publicOrigin: new URL(config.publicUrl).origin,
    trustProxy: config.trustProxy,
    logRequests: config.logRequests,
  };
}

/** The first query on a fresh PGlite pays for its caches; pay it before a visitor does. */
export async function warmUp(): Promise<void> {
  await sql`select count(*) from shared_links`.execute(getDb());
}

export async function shutdown(): Promise<void> {
  // Buffered view counts are written before the database closes, so a restart loses none.
  await flushAllViews();
  await db?.destroy();
  db = undefined;
}
