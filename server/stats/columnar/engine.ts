import type { Db } from "../../../db/client.js";
import { addDays } from "../../dates.js";
import { addSums, type EngineHealth, mergeFigures, type RangeFigures, type RangeQuery, type StatsEngine, type Sums } from "../engine.js";
import { sourceEngine } from "../source-engine.js";
import { Columnar, type ColumnarOptions } from "./duckdb.js";
import { rangeFigures, rangeTotals } from "./queries.js";
import { keepCopy } from "./keeper.js";
import { liveOverlapMs } from "./live.js";
import { type SyncSite, syncState, unsettledFrom } from "./sync.js";

/** The ingest buffer's default flush interval (INGEST_FLUSH_MS), for engines opened without one. */
const DEFAULT_FLUSH_MS = 1_000;

/** A `through` before any day: nothing of the site is in the copy (or it is being rebuilt). */
const NOTHING_COPIED = "0000-01-01";

interface Split {
  /** Days before it come from the copy's flagged rows. */
  through: string;
  version: number;
  /** The copy's process when `through` was read: what another one says does not go with it. */
  generation: number;
  siteId: string;
  /** The site's count of drops (see `CopyKeeper.drops`) when `through` was read. */
  drops: number;
}

export interface ColumnarEngine extends StatsEngine {
  /** Copies the site's finished days that are not in the copy yet; one sync runs at a time. */
  sync(site: SyncSite, now?: Date): Promise<void>;
  /** The first day the copy does not hold for the site (every day before it is copied); null when none is. */
  copiedThrough(siteId: string): Promise<string | null>;
  /** Syncs every site (and forgets deleted ones) now and then every minute, until closed. */
  startSyncing(): void;
  /** The column store's process, while it runs. */
  processId(): number | undefined;
  /** Degraded from when the process ends unasked until a new one runs (views come from the tables meanwhile). */
  health(): EngineHealth;
  close(): Promise<void>;
}

/**
 * Figures from a columnar copy of events and visits kept in DuckDB: finished days with flags
 * computed once, today as plain rows refreshed before a view reads them; days the copy does not
 * hold yet from the source tables. Figures of a range are sums of its days' figures, so the parts
 * add up to exactly what the source alone would say.
 */
export async function openColumnarEngine(db: Db, options: ColumnarOptions & { log?: (line: string) => void; ingestFlushMs?: number }): Promise<ColumnarEngine> {
  const columnar = await Columnar.open(options);
  const source = sourceEngine(db);
  const log = options.log ?? (() => {});
  // Events reach the tables within the ingest buffer's flush interval (ingest/buffer.ts).
  const keeper = keepCopy(columnar, db, log, liveOverlapMs(options.ingestFlushMs ?? DEFAULT_FLUSH_MS));
  const sync = keeper.sync;
  /**
   * The days [from, through) come from the copy's flagged rows, the rest from its plain rows or
   * the tables. A copy made under an older stats version is not used at all until it has been
   * rebuilt.
   */
  async function split(query: Pick<RangeQuery, "site" | "from" | "to" | "now">): Promise<Split> {
    const generation = columnar.generation;
    const dropped = keeper.drops(query.site.id);
    const [state, site] = await Promise.all([
      // A copy that cannot say what it holds is not used: the tables answer.
      syncState(columnar, query.site.id, true).catch((error) => {
        log(`Stats copy could not answer (${error instanceof Error ? error.message : error}); answering from the tables`);
        return null;
      }),
      db.selectFrom("sites").select("stats_version").where("id", "=", query.site.id).executeTakeFirst(),
    ]);
    const current = state && site && state.version === site.stats_version;
    if (!current || state.through! < unsettledFrom(query.site, query.now)) {
      sync(query.site, query.now).catch((error) => log(`Stats copy of site ${query.site.id}: sync failed: ${error instanceof Error ? error.message : error}`));
    }
    return {
      through: current && state.through ? state.through : NOTHING_COPIED,
      version: site?.stats_version ?? -1,
      generation,
      siteId: query.site.id,
      drops: dropped,
    };
  }

  /**
   * A read of the copy that goes with the split: answered by the process the split read from, with
   * none of the site's rows dropped meanwhile. A process started since (the last one was killed or
   * crashed) may hold less than that one said: an in-memory copy starts empty, a damaged file is
   * started again, and its rows would add up to zeros, not to an error. Such an answer is thrown
   * away, and the tables answer.
   */
  async function sameCopy<T>(at: Split, read: () => Promise<T>): Promise<T> {
    const result = await read();
    if (columnar.generation !== at.generation) throw new Error("the column store's process was started again during the view");
    if (at.drops % 2 !== 0 || keeper.drops(at.siteId) !== at.drops) throw new Error("the site's copy was dropped during the view");
    return result;
  }

  /**
   * The copy is a cache: when it cannot answer (its memory limit, a damaged file), the tables
   * can, with the same figures.
   */
  async function orSource<T>(fromCopy: () => Promise<T>, fromSource: () => Promise<T>): Promise<T> {
    try {
      return await fromCopy();
    } catch (error) {
      log(`Stats copy could not answer (${error instanceof Error ? error.message : error}); answering from the tables`);
      return fromSource();
    }
  }

  /**
   * Only a copy that is up to date keeps rows of the unfinished days: while a site is being copied
   * its missing days are many, and the tables answer them (a refresh would wait for the copy).
   */
  const keepsLive = (query: RangeQuery, at: Split) => at.through !== NOTHING_COPIED && at.through >= unsettledFrom(query.site, query.now) && !keeper.syncing(query.site.id);

  /**
   * The days the copy holds no flags for (today, and yesterday while it settles), from its plain
   * rows once they hold every event; from the tables when the copy cannot say so. (Should a sync
   * flag one of these days meanwhile, the exact queries still count it right: they need no flags.)
   */
  async function liveFigures(query: RangeQuery, at: Split): Promise<RangeFigures> {
    if (!keepsLive(query, at)) return liveRange(query);
    return orSource(
      async () => ((await keeper.liveReady(query.site, at)) ? sameCopy(at, () => rangeFigures(columnar, scopeOf(query), query.site.timezone, query.hours, true)) : liveRange(query)),
      () => liveRange(query),
    );
  }

  async function liveTotals(query: RangeQuery, at: Split): Promise<Sums> {
    if (!keepsLive(query, at)) return source.totals(query);
    return orSource(
      async () => ((await keeper.liveReady(query.site, at)) ? sameCopy(at, () => rangeTotals(columnar, scopeOf(query), true)) : source.totals(query)),
      () => source.totals(query),
    );
  }

  /** Today's part of a view with filters of the viewer's own, when the tables answer it, is bounded as the source bounds such views. */
  const liveRange = (query: RangeQuery) => (query.keep === "bounded" ? source.range(query) : source.madeUp((tables) => tables.range(query)));

  const copied = (query: RangeQuery, through: string) => ({ ...query, to: query.to < through ? query.to : addDays(through, -1) });
  const live = (query: RangeQuery, through: string) => ({ ...query, from: query.from >= through ? query.from : through });
  const scopeOf = (query: RangeQuery) => ({ siteId: query.site.id, from: query.from, to: query.to, filters: query.filters, goals: query.goals });

  const engine: ColumnarEngine = {
    sync,
    copiedThrough: async (siteId) => (await syncState(columnar, siteId))?.through ?? null,

    async range(query) {
      const at = await split(query);
      const { through } = at;
      if (query.from >= through) return liveFigures(query, at);
      const part = copied(query, through);
      const fromCopy = orSource(
        () => sameCopy(at, () => rangeFigures(columnar, scopeOf(part), query.site.timezone, query.hours)),
        () => source.range(part),
      );
      if (query.to < through) return fromCopy;
      const [first, second] = await Promise.all([fromCopy, liveFigures(live(query, through), at)]);
      return mergeFigures(first, second);
    },

    async totals(query) {
      const at = await split(query);
      const { through } = at;
      if (query.from >= through) return liveTotals(query, at);
      const part = copied(query, through);
      const fromCopy = orSource(
        () => sameCopy(at, () => rangeTotals(columnar, scopeOf(part))),
        () => source.totals(part),
      );
      if (query.to < through) return fromCopy;
      const [first, second] = await Promise.all([fromCopy, liveTotals(live(query, through), at)]);
      return addSums(first, second);
    },

    // Both read the last minutes or one goal's events only: the source's indexes answer them.
    currentVisitors: (query, since) => source.currentVisitors(query, since),
    goalProperties: (query, goal) => source.goalProperties(query, goal),

    startSyncing: () => keeper.start(),

    processId: () => columnar.pid,
    health: () => (columnar.failure ? { state: "degraded", reason: `${columnar.failure}; views are answered from the database tables until it is back` } : { state: "ok" }),

    // Its threads are bounded by configuration, and it reads only today from the tables.
    madeUp: (work) => work(engine),

    async close() {
      await keeper.close();
      await columnar.close();
    },
  };
  return engine;
}
