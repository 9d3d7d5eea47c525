import type { Db } from "../../db/client.js";
import type { Env } from "../env.js";
import { openColumnarEngine } from "./columnar/engine.js";
import type { StatsEngine } from "./engine.js";
import { keepFinishedDays } from "./kept-engine.js";
import { sourceEngine } from "./source-engine.js";

/** The source tables as an engine: tests, scripts, and any process that started no copy. */
export function sourceStats(db: Db): StatsEngine {
  return keepFinishedDays(sourceEngine(db));
}

export interface StartedEngine {
  /** What answers views, with its finished days kept (see kept-engine.ts). */
  engine: StatsEngine;
  close(): Promise<void>;
}

/**
 * The one place that decides which engine answers the server's views, as configured: the
 * columnar copy, or the source tables. The copy is a cache: if its file cannot be opened (another
 * process holds it, the disk is full), the server says so and answers from the source tables.
 */
export async function startStatsEngine(db: Db, config: Env, log: (line: string) => void): Promise<StartedEngine> {
  const tables = { engine: sourceStats(db), close: async () => {} };
  if (config.stats.engine !== "columnar") {
    log("Stats: from the database tables (STATS_ENGINE=source)");
    return tables;
  }
  try {
    const engine = await openColumnarEngine(db, { ...config.stats, log });
    engine.startSyncing();
    log(`Stats: columnar copy in ${config.stats.path === "memory" ? "memory" : config.stats.path} (memory limit ${config.stats.memoryMb} MB)`);
    return { engine: keepFinishedDays(engine), close: () => engine.close() };
  } catch (error) {
    log(`Stats: could not open the columnar copy (${error instanceof Error ? error.message : error}); answering from the database tables`);
    return tables;
  }
}
