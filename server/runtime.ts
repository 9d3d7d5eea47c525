import { holdDataDir } from "./embedded-lock.js";
import { createDb, type Db } from "../db/client.js";
import { migrateToLatest } from "../db/migrate.js";
import { type ContextInput, createContext } from "./context.js";
import { sealStoredSecrets } from "./auth/secret-box.js";
import { type Env, env } from "./env.js";
import { type DigestScheduler, startDigestScheduler } from "./digests/scheduler.js";
import { type EventReply, type EventRequest, receiveEvent as answerEvent } from "./http/event-endpoint.js";
import { openCountries } from "./ingest/countries.js";
import { closeServices, createServices, type Services } from "./services.js";
import { type StartedEngine, startStatsEngine } from "./stats/engines.js";
import { receiveUpload, sendExport, type StreamReply, type StreamRequest } from "./http/imports.js";
import { type ImportScheduler, startImportScheduler } from "./imports/scheduler.js";
import { warmUp as warmDatabase } from "./system/health.js";

/** Postgres when DATABASE_URL is set, otherwise the embedded PGlite under DATA_DIR/pglite. */
export function openDatabase(config: Env = env()): Db {
  if (config.databaseUrl) return createDb({ url: config.databaseUrl, statementTimeoutMs: config.statementTimeoutMs });
  const dataDir = config.dataDir.replace(/\/+$/, "");
  holdDataDir(dataDir);
  return createDb({ dataDir: `${dataDir}/pglite` });
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

let processDb: Db | undefined;
let processServices: Services | undefined;
let statsEngine: StartedEngine | null = null;
let digests: DigestScheduler | null = null;
let imports: ImportScheduler | null = null;

/** The server process's one database, opened on first use. */
function database(): Db {
  processDb ??= openDatabase();
  return processDb;
}

/** The server process's services, on its database with the engine it started (the tables until then). */
function services(): Services {
  processServices ??= createServices(database(), { engine: statsEngine?.engine, statsHealth: statsEngine?.health });
  return processServices;
}

/** A request's context on the process's services: the app layer never holds a connection itself. */
export function requestContext(input: Omit<ContextInput, "services">) {
  return createContext({ services: services(), ...input });
}

/** POST /api/event on the process's services: the ingestion pipeline, no tRPC caller on the way. */
export function receiveEvent(request: EventRequest): Promise<EventReply> {
  return answerEvent(services(), request);
}

/** POST /api/sites/:domain/imports: an upload streamed into the database, then the import job. */
export function receiveImportUpload(request: StreamRequest): Promise<StreamReply> {
  return receiveUpload(services(), request, () => imports?.wake());
}

/** GET /api/sites/:domain/export.zip: the site's own days in Plausible's CSV format. */
export function sendSiteExport(request: StreamRequest): Promise<StreamReply> {
  return sendExport(services(), request);
}

/**
 * Migrates, and seeds an empty embedded database unless SEED=false. Never in production: the demo
 * account's password is published, and a deployment must not have one.
 */
export async function startDatabase(log: (line: string) => void): Promise<void> {
  const config = env();
  const db = database();
  log(`Database: ${describeDatabase(config)}`);
  const applied = await migrate(db);
  if (applied > 0) log(`Applied ${applied} migration(s)`);
  const sealed = await sealStoredSecrets(db);
  if (sealed > 0) log(`Sealed the two-factor secrets of ${sealed} account(s) with the current SESSION_SECRET`);
  if (config.seed && !config.databaseUrl && !config.production) {
    const { seedIfEmpty } = await import("./seed/demo.js");
    await seedIfEmpty(db, log);
  }
  statsEngine = await startStatsEngine(db, config, log);
  if (processServices) Object.assign(processServices, { engine: statsEngine.engine, statsHealth: statsEngine.health });
  // Read now, so a wrong GEOIP_DATABASE stops the start with its reason instead of failing events.
  openCountries(config.geoipDatabase);
  digests = startDigestScheduler(services(), config, log);
  imports = startImportScheduler(db, log);
  log(`Countries: ${config.countryHeader ? `from the ${config.countryHeader} header, else ` : ""}from ${config.geoipDatabase ?? "the shipped open country database"}`);
}

/** The first query on a fresh PGlite pays for its caches; pay it before a visitor does. */
export function warmUp(): Promise<void> {
  return warmDatabase(database());
}

/**
 * Takes no more events and writes the ones held: the first step of a clean stop, which may take
 * as long as the database needs for what the buffer holds (INGEST_BUFFER_MB at most).
 */
export async function writeHeldEvents(): Promise<void> {
  await processServices?.events.close();
}

export async function stopDatabase(): Promise<void> {
  // Accepted events and buffered view counts are written before the database closes, so a
  // restart loses none of them. A digest being sent is marked first.
  await digests?.stop();
  digests = null;
  await imports?.stop();
  imports = null;
  if (processServices) await closeServices(processServices);
  processServices = undefined;
  await statsEngine?.close();
  statsEngine = null;
  await processDb?.destroy();
  processDb = undefined;
}
