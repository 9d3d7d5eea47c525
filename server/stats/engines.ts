import type { Db } from "../../db/client.js";
import type { Env } from "../env.js";
import { type ColumnarEngine, openColumnarEngine } from "./columnar/engine.js";
import type { StatsEngine } from "./engine.js";
import { withImported } from "./imported-engine.js";
import { keepFinishedDays } from "./kept-engine.js";
import { sourceEngine } from "./source-engine.js";

const chosen = new WeakMap<Db, StatsEngine>();

/**
 * The one place that decides which engine answers a database's views: the columnar copy where the
 * server started one, the source tables otherwise (tests, scripts, and any process that did not).
 * Either keeps its figures of finished days (see kept-engine.ts) and adds the days of the site's
 * imports (imported-engine.ts).
 */
export function engineFor(db: Db): StatsEngine {
  let engine = chosen.get(db);
  if (!engine) chosen.set(db, (engine = withImported(db, keepFinishedDays(sourceEngine(db)))));
  return engine;
}

export function useEngine(db: Db, engine: StatsEngine): void {
  chosen.set(db, withImported(db, keepFinishedDays(engine)));
}

/**
 * The server's engine, as configured. The copy is a cache: if its file cannot be opened (another
 * process holds it, the disk is full), the server says so and answers from the source tables.
 */
export async function startStatsEngine(db: Db, config: Env, log: (line: string) => void): Promise<ColumnarEngine | null> {
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
