import type { Db } from "../../db/client.js";
import type { Env } from "../env.js";
import { openClickHouseEngine } from "./clickhouse/engine.js";
import { openColumnarEngine } from "./columnar/engine.js";
import type { EngineHealth, StatsEngine } from "./engine.js";
import { withImported } from "./imported-engine.js";
import { keepFinishedDays } from "./kept-engine.js";
import { sourceEngine } from "./source-engine.js";

/**
 * An engine as views use it: its figures of finished days kept (kept-engine.ts), and the days of
 * the site's imports added (imported-engine.ts).
 */
export function served(db: Db, engine: StatsEngine): StatsEngine {
  return withImported(db, keepFinishedDays(engine));
}

/** The source tables as an engine: tests, scripts, and any process that started no copy. */
export function sourceStats(db: Db): StatsEngine {
  return served(db, sourceEngine(db));
}

/** How an engine that can be away (the column store's process, ClickHouse) is doing; the tables say nothing. */
export type { EngineHealth };

export interface StartedEngine {
  /** What answers views (see `served`). */
  engine: StatsEngine;
  /** For /healthz: null where the engine cannot be away. */
  health(): EngineHealth | null;
  close(): Promise<void>;
}

/**
 * The one place that decides which engine answers the server's views, as configured: the shared
 * ClickHouse copy, the columnar copy, or the source tables. A copy is a cache: if it cannot be
 * opened (another process holds the file, the disk is full), the server says so and answers from
 * the source tables; a ClickHouse that is away or refuses is asked again until it answers.
 */
export async function startStatsEngine(db: Db, config: Env, log: (line: string) => void): Promise<StartedEngine> {
  const tables: StartedEngine = { engine: sourceStats(db), health: () => null, close: async () => {} };
  if (config.stats.engine === "clickhouse" && config.stats.clickhouseUrl) {
    try {
      const engine = await openClickHouseEngine(db, { url: config.stats.clickhouseUrl, log });
      engine.startSyncing();
      const url = new URL(config.stats.clickhouseUrl);
      const health = engine.health();
      // Away or refusing (credentials, grants), it is asked again every few seconds; the tables answer meanwhile.
      log(`Stats: shared ClickHouse copy at ${url.host}${url.pathname} (${health.state === "ok" ? "connected" : `not usable yet: ${health.reason}; answering from the database tables until it is`})`);
      return { engine: served(db, engine), health: () => engine.health(), close: () => engine.close() };
    } catch (error) {
      const reason = error instanceof Error ? error.message.slice(0, 300) : String(error);
      log(`Stats: could not open the shared ClickHouse copy (${reason}); answering from the database tables`);
      return { ...tables, health: () => ({ state: "degraded", reason }) };
    }
  }
  if (config.stats.engine !== "columnar") {
    log("Stats: from the database tables (STATS_ENGINE=source)");
    return tables;
  }
  try {
    const engine = await openColumnarEngine(db, { ...config.stats, ingestFlushMs: config.ingestBuffer.flushMs, log });
    engine.startSyncing();
    log(`Stats: columnar copy in ${config.stats.path === "memory" ? "memory" : config.stats.path} (memory limit ${config.stats.memoryMb} MB)`);
    return { engine: served(db, engine), health: () => engine.health(), close: () => engine.close() };
  } catch (error) {
    log(`Stats: could not open the columnar copy (${error instanceof Error ? error.message : error}); answering from the database tables`);
    return tables;
  }
}
