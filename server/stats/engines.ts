import type { Db } from "../../db/client.js";
import type { Env } from "../env.js";
import { type ClickHouseEngine, type ClickHouseHealth, openClickHouseEngine } from "./clickhouse/engine.js";
import { type ColumnarEngine, openColumnarEngine } from "./columnar/engine.js";
import type { StatsEngine } from "./engine.js";
import { keepFinishedDays } from "./kept-engine.js";
import { sourceEngine } from "./source-engine.js";

const chosen = new WeakMap<Db, StatsEngine>();
const healths = new WeakMap<Db, () => ClickHouseHealth>();

/** How the database's stats engine is doing, where it can be away (ClickHouse); null otherwise. */
export const statsHealth = (db: Db): ClickHouseHealth | null => healths.get(db)?.() ?? null;

/**
 * The one place that decides which engine answers a database's views: the columnar copy where the
 * server started one, the source tables otherwise (tests, scripts, and any process that did not).
 * Either keeps its figures of finished days (see kept-engine.ts).
 */
export function engineFor(db: Db): StatsEngine {
  let engine = chosen.get(db);
  if (!engine) chosen.set(db, (engine = keepFinishedDays(sourceEngine(db))));
  return engine;
}

export function useEngine(db: Db, engine: StatsEngine): void {
  chosen.set(db, keepFinishedDays(engine));
}

/**
 * The server's engine, as configured. The copy is a cache: if its file cannot be opened (another
 * process holds it, the disk is full), the server says so and answers from the source tables.
 */
export async function startStatsEngine(db: Db, config: Env, log: (line: string) => void): Promise<ColumnarEngine | ClickHouseEngine | null> {
  if (config.stats.engine === "clickhouse" && config.stats.clickhouseUrl) {
    let engine: ClickHouseEngine;
    try {
      engine = await openClickHouseEngine(db, { url: config.stats.clickhouseUrl, log });
    } catch (error) {
      // ClickHouse answered but refused (credentials, permissions): the tables answer, and /healthz says why.
      const reason = error instanceof Error ? error.message.slice(0, 300) : String(error);
      log(`Stats: ClickHouse refused the shared copy (${reason}); answering from the database tables`);
      healths.set(db, () => ({ state: "degraded", reason }));
      return null;
    }
    useEngine(db, engine);
    healths.set(db, engine.health);
    engine.startSyncing();
    const url = new URL(config.stats.clickhouseUrl);
    log(`Stats: shared ClickHouse copy at ${url.host}${url.pathname} (${engine.health().state === "ok" ? "connected" : "not reachable yet; answering from the database tables"})`);
    return engine;
  }
  if (config.stats.engine !== "columnar") {
    log("Stats: from the database tables (STATS_ENGINE=source)");
    return null;
  }
  try {
    const engine = await openColumnarEngine(db, { ...config.stats, log });
    useEngine(db, engine);
    engine.startSyncing();
    log(`Stats: columnar copy in ${config.stats.path === "memory" ? "memory" : config.stats.path} (memory limit ${config.stats.memoryMb} MB)`);
    return engine;
  } catch (error) {
    log(`Stats: could not open the columnar copy (${error instanceof Error ? error.message : error}); answering from the database tables`);
    return null;
  }
}
