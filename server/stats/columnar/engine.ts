import { sql } from "kysely";
import type { Db } from "../../../db/client.js";
import { filterKey } from "../cache.js";
import { addDays } from "../dates.js";
import { addSums, mergeFigures, type RangeFigures, type RangeQuery, type StatsEngine, type Sums } from "../engine.js";
import { sourceEngine } from "../source-engine.js";
import { Columnar, type ColumnarOptions } from "./duckdb.js";
import { Memo } from "./memo.js";
import { rangeFigures, rangeTotals } from "./queries.js";
import { copyMatches, forgetSite, type SyncSite, syncSite, syncState, unsettledFrom } from "./sync.js";

const SYNC_EVERY_MS = 60_000;
const MEMO_BYTES = 16 * 1024 * 1024;

/** About 150 bytes of heap per value row (a Map entry with its key and sums). */
const figuresSize = (figures: RangeFigures) => 1000 + 100 * figures.days.length + 150 * [...figures.groups.values()].reduce((n, values) => n + values.size, 0);

export interface ColumnarEngine extends StatsEngine {
  readonly name: "columnar";
  /** Copies the site's finished days that are not in the copy yet; one sync runs at a time. */
  sync(site: SyncSite, now?: Date): Promise<void>;
  /** The first day the copy does not hold for the site (every day before it is copied); null when none is. */
  copiedThrough(siteId: string): Promise<string | null>;
  /** Syncs every site (and forgets deleted ones) now and then every minute, until closed. */
  startSyncing(): void;
  close(): Promise<void>;
}

/**
 * Finished days from a columnar copy of events and visits kept in DuckDB; days not in the copy
 * yet (today, always) from the source tables. Figures of a range are sums of its days' figures,
 * so the two parts add up to exactly what the source alone would say.
 */
export async function openColumnarEngine(db: Db, options: ColumnarOptions & { log?: (line: string) => void }): Promise<ColumnarEngine> {
  const columnar = await Columnar.open(options);
  const source = sourceEngine(db);
  const log = options.log ?? (() => {});
  let queue: Promise<unknown> = Promise.resolve();
  const pending = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const figuresMemo = new Memo<RangeFigures>(MEMO_BYTES, figuresSize);
  const totalsMemo = new Memo<Sums>(MEMO_BYTES / 16, () => 200);

  /** Everything that writes to the copy runs one at a time, in order. */
  function serially<T>(work: () => Promise<T>): Promise<T> {
    const done = queue.then(work);
    queue = done.catch(() => {});
    return done;
  }

  function sync(site: SyncSite, now = new Date()): Promise<void> {
    const running = pending.get(site.id);
    if (running) return running;
    const done = serially(() => (closed ? Promise.resolve() : syncSite(columnar, db, site, now, () => closed))).finally(() => pending.delete(site.id));
    pending.set(site.id, done);
    return done;
  }

  /**
   * The days [from, through) come from the copy, the rest from the source. A copy made under an
   * older stats version is not used at all until it has been rebuilt.
   */
  async function split(query: Pick<RangeQuery, "site" | "from" | "to" | "now">): Promise<{ through: string; version: number }> {
    const [state, site] = await Promise.all([
      syncState(columnar, query.site.id),
      db.selectFrom("sites").select("stats_version").where("id", "=", query.site.id).executeTakeFirst(),
    ]);
    const current = state && site && state.version === site.stats_version;
    if (!current || state.through! < unsettledFrom(query.site, query.now)) {
      sync(query.site, query.now).catch((error) => log(`Stats copy of site ${query.site.id}: sync failed: ${error instanceof Error ? error.message : error}`));
    }
    return { through: current && state.through ? state.through : "0000-01-01", version: site?.stats_version ?? -1 };
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

  /** The copied part of a bounded view is kept; any other is computed each time. */
  function kept<T>(memo: Memo<T>, kind: string, query: RangeQuery, version: number, compute: () => Promise<T>): Promise<T> {
    if (!query.cacheable) return compute();
    const key = [kind, query.site.id, version, query.from, query.to, query.hours, filterKey(query.filters, query.site.timezone, query.goals)].join("\n");
    return memo.get(key, compute);
  }

  /**
   * Today's part of a view with filters of the viewer's own runs on one database core (no
   * parallel workers), as whole views do on the source engine: anyone with an open link can ask
   * for new ones.
   */
  function liveRange(query: RangeQuery) {
    if (query.cacheable) return source.range(query);
    return db.transaction().execute(async (trx) => {
      await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
      return sourceEngine(trx).range(query);
    });
  }

  const copied = (query: RangeQuery, through: string) => ({ ...query, to: query.to < through ? query.to : addDays(through, -1) });
  const live = (query: RangeQuery, through: string) => ({ ...query, from: query.from >= through ? query.from : through });
  const scopeOf = (query: RangeQuery) => ({ siteId: query.site.id, from: query.from, to: query.to, filters: query.filters, goals: query.goals });

  let verified = false;
  async function loop() {
    if (closed) return;
    try {
      const sites = await db.selectFrom("sites").select(["id", "timezone"]).execute();
      const known = new Set(sites.map((s) => s.id));
      const copiedSites = (await columnar.query(`select site_id from synced`)).map((row) => row.site_id as string);
      for (const siteId of copiedSites) {
        await serially(async () => {
          if (!known.has(siteId)) await forgetSite(columnar, siteId);
          else if (!verified && !(await copyMatches(columnar, db, siteId))) {
            log(`Stats copy of site ${siteId} does not match the database; copying it again`);
            await forgetSite(columnar, siteId);
          }
        });
      }
      verified = true;
      for (const site of sites) await sync(site);
    } catch (error) {
      log(`Stats copy: sync failed: ${error instanceof Error ? error.message : error}`);
    }
    if (!closed) timer = setTimeout(loop, SYNC_EVERY_MS).unref();
  }

  return {
    name: "columnar",
    sync,
    copiedThrough: async (siteId) => (await syncState(columnar, siteId))?.through ?? null,

    async range(query) {
      const { through, version } = await split(query);
      if (query.from >= through) return liveRange(query);
      const part = copied(query, through);
      const fromCopy = orSource(
        () => kept(figuresMemo, "range", part, version, () => rangeFigures(columnar, scopeOf(part), query.site.timezone, query.hours)),
        () => source.range(part),
      );
      if (query.to < through) return fromCopy;
      const [first, second] = await Promise.all([fromCopy, liveRange(live(query, through))]);
      return mergeFigures(first, second);
    },

    async totals(query) {
      const { through, version } = await split(query);
      if (query.from >= through) return source.totals(query);
      const part = copied(query, through);
      const fromCopy = orSource(
        () => kept(totalsMemo, "totals", part, version, () => rangeTotals(columnar, scopeOf(part))),
        () => source.totals(part),
      );
      if (query.to < through) return fromCopy;
      const [first, second] = await Promise.all([fromCopy, source.totals(live(query, through))]);
      return addSums(first, second);
    },

    // Both read the last minutes or one goal's events only: the source's indexes answer them.
    currentVisitors: (query, since) => source.currentVisitors(query, since),
    goalProperties: (query, goal) => source.goalProperties(query, goal),

    startSyncing() {
      void loop();
    },

    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await queue;
      columnar.close();
    },
  };
}
