import type { Db } from "../../../db/client.js";
import type { Columnar } from "./duckdb.js";
import { type LiveRefresh, refreshLive, liveEventCount } from "./live.js";
import { copyMatches, forgetSite, type SyncSite, syncSite } from "./sync.js";

const SYNC_EVERY_MS = 60_000;

/** What a view read of the copy, so the keeper can tell whether that still holds (see ./engine.ts). */
export interface CopyState {
  through: string;
  version: number;
}

/**
 * Keeps a column store's copy current: finished days copied (./sync.ts), the unfinished days'
 * rows refreshed before a view reads them (./live.ts), deleted sites and copies that do not match
 * their database dropped. What writes a site's rows runs one at a time, in order; sites do not
 * wait for each other (a big site's first copy does not hold back another's refresh).
 */
export interface CopyKeeper {
  /** Copies the site's finished days that are not in the copy yet; one sync runs at a time. */
  sync(site: SyncSite, now?: Date): Promise<void>;
  /** A sync of the site is under way. */
  syncing(siteId: string): boolean;
  /**
   * True once the copy's rows of the unfinished days hold as many events as the tables do now:
   * refreshed first if they do not. A view never sees them older than the tables.
   */
  liveReady(site: SyncSite, at: CopyState): Promise<boolean>;
  /**
   * Per site, bumped before its copied rows are dropped (it is copied again from the start, or it
   * was deleted) and again once they are: odd while a drop runs. A view that planned with the rows
   * before a drop and read after it would add up what is left, so it does not use what it read.
   */
  drops(siteId: string): number;
  /** Syncs every site (and forgets deleted ones) now and then every minute, until closed. */
  start(): void;
  /** Stops, after what is being written. */
  close(): Promise<void>;
}

/** `liveOverlapMs`: how far back each refresh of the unfinished days reads again (see ./live.ts). */
export function keepCopy(columnar: Columnar, db: Db, log: (line: string) => void, liveOverlapMs: number): CopyKeeper {
  const queues = new Map<string, Promise<unknown>>();
  const pending = new Map<string, Promise<void>>();
  /** Per site: what its rows of unfinished days hold, and the refresh on its way. */
  const lives = new Map<string, LiveRefresh & { generation: number; version: number; through: string }>();
  const refreshing = new Map<string, Promise<void>>();
  const dropCounts = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function serially<T>(siteId: string, work: () => Promise<T>): Promise<T> {
    const done = (queues.get(siteId) ?? Promise.resolve()).then(work);
    const settled = done.catch(() => {});
    queues.set(siteId, settled);
    void settled.then(() => queues.get(siteId) === settled && queues.delete(siteId));
    return done;
  }

  async function forget(target: Columnar, siteId: string) {
    const bump = () => dropCounts.set(siteId, (dropCounts.get(siteId) ?? 0) + 1);
    bump();
    try {
      await forgetSite(target, siteId);
    } finally {
      bump();
    }
  }

  function sync(site: SyncSite, now = new Date()): Promise<void> {
    const running = pending.get(site.id);
    if (running) return running;
    const done = serially(site.id, async () => {
      // Rows were replaced or dropped: the unfinished days' rows are read again before they answer.
      if (!closed && (await syncSite(columnar, db, site, now, () => closed, forget))) lives.delete(site.id);
    }).finally(() => pending.delete(site.id));
    pending.set(site.id, done);
    return done;
  }

  async function liveReady(site: SyncSite, { through, version }: CopyState): Promise<boolean> {
    const siteId = site.id;
    const events = await liveEventCount(db, siteId, through);
    for (let attempt = 0; attempt < 2; attempt++) {
      const live = lives.get(siteId);
      const valid = live && live.generation === columnar.generation && live.version === version && live.through === through;
      // More than counted is fine: those were written after the view began.
      if (valid && live.events >= events) return true;
      let running = refreshing.get(siteId);
      if (!running) {
        const generation = columnar.generation;
        running = serially(siteId, async () => {
          const result = await refreshLive(columnar, db, site, through, valid ? live : null, liveOverlapMs);
          lives.set(siteId, { ...result, generation, version, through });
        }).finally(() => refreshing.delete(siteId));
        refreshing.set(siteId, running);
      }
      await running;
    }
    return false;
  }

  let verified = false;
  async function loop() {
    if (closed) return;
    try {
      const sites = await db.selectFrom("sites").select(["id", "timezone"]).execute();
      const known = new Set(sites.map((s) => s.id));
      const copiedSites = (await columnar.query(`select site_id from synced`)).map((row) => row.site_id as string);
      for (const siteId of copiedSites) {
        await serially(siteId, async () => {
          if (!known.has(siteId)) await forget(columnar, siteId);
          else if (!verified && !(await copyMatches(columnar, db, siteId))) {
            log(`Stats copy of site ${siteId} does not match the database; copying it again`);
            await forget(columnar, siteId);
          } else return;
          lives.delete(siteId);
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
    sync,
    syncing: (siteId) => pending.has(siteId),
    liveReady,
    drops: (siteId) => dropCounts.get(siteId) ?? 0,
    start() {
      void loop();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await Promise.all(queues.values());
    },
  };
}
