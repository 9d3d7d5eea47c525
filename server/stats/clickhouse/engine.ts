import { randomUUID } from "node:crypto";
import type { Db } from "../../../db/client.js";
import { addDays } from "../../dates.js";
import { addSums, mergeFigures, type EngineHealth, type RangeFigures, type RangeQuery, type StatsEngine, type Sums } from "../engine.js";
import { sourceEngine } from "../source-engine.js";
import { type Copy, coverage, listCopies, type Segment } from "./copies.js";
import { rangeFigures, rangeTotals } from "./queries.js";
import { describe, Store } from "./store.js";
import { type BeforeRegister, type CopySizes, forgetSite, type SyncSite, syncSite, unsettledFrom } from "./sync.js";

const SYNC_EVERY_MS = 60_000;
/** How often the server is asked whether it answers (and, while it is away, whether it is back). */
const PROBE_EVERY_MS = 5_000;
/** After another instance was found copying a site, views leave the site to it this long. */
const BUSY_BACKOFF_MS = 10_000;
/**
 * How long a site's list of copies answers views: a list this old lacks at most copies listed
 * since (those days come from the tables meanwhile, with the same figures), and copies it names
 * are deleted only minutes after they stop being read (sync.ts).
 */
const LISTED_MS = 3_000;

export const REFUSED_REASON = "ClickHouse refused this server's queries (credentials or grants): the server log says why";

export interface ClickHouseOptions {
  url: string;
  log?: (line: string) => void;
  /** How long a site's copy lease lasts unless renewed (renewed after each day copied). */
  leaseMs?: number;
  /** Per request to ClickHouse (copying, creating tables). */
  timeoutMs?: number;
  /** How long a view's read may take before the tables answer it (10 s). */
  answerMs?: number;
  /** This instance's name in the leases (random by default). */
  holder?: string;
  /** For tests: how copies are cut into reads and inserts. */
  copySizes?: CopySizes;
}

export type ClickHouseHealth = EngineHealth;

export interface ClickHouseEngine extends StatsEngine {
  /** Copies the site's finished days that are not in the shared copy yet, unless another instance holds its lease. */
  sync(site: SyncSite, now?: Date, beforeRegister?: BeforeRegister): Promise<void>;
  /** The first day the shared copy does not hold for the site under its current stats version; null when it holds none. */
  copiedThrough(siteId: string): Promise<string | null>;
  /** Syncs every site now and then every minute, until closed. */
  startSyncing(): void;
  /** No process of its own (the server is elsewhere). */
  processId(): number | undefined;
  health(): ClickHouseHealth;
  close(): Promise<void>;
}

interface Split {
  /** Days before it come from the shared copy. */
  through: string;
  segments: Segment[];
}

/** A `through` before any day: nothing of the site is read from the copy. */
const NOTHING_COPIED = "0000-01-01";

/**
 * Figures from one ClickHouse copy of the visits that every instance shares: finished days copied
 * once, by the instance holding the site's lease in PostgreSQL; the days not copied yet (today,
 * and yesterday while it settles) from the tables, so they are live. Figures of a range are sums
 * of its days', so the parts add up to what the tables alone would say. When ClickHouse cannot
 * answer, the tables answer everything, and the engine says it is degraded until it is back.
 */
export async function openClickHouseEngine(db: Db, options: ClickHouseOptions): Promise<ClickHouseEngine> {
  const store = new Store({ url: options.url, timeoutMs: options.timeoutMs, answerMs: options.answerMs });
  const source = sourceEngine(db);
  const log = options.log ?? (() => {});
  const ctx = { store, db, holder: options.holder ?? randomUUID(), leaseMs: options.leaseMs ?? 60_000, copySizes: options.copySizes };
  const pending = new Map<string, Promise<void>>();
  /** Per site, when a view may next ask for a sync (views do not take the lease on every request). */
  const nextTry = new Map<string, number>();
  const listed = new Map<string, { at: number; copies: Promise<Copy[]> }>();
  function copiesOf(siteId: string): Promise<Copy[]> {
    const known = listed.get(siteId);
    if (known && Date.now() - known.at < LISTED_MS) return known.copies;
    const copies = listCopies(store, siteId);
    listed.set(siteId, { at: Date.now(), copies });
    copies.catch(() => listed.get(siteId)?.copies === copies && listed.delete(siteId));
    return copies;
  }
  let prepared = false;
  /** Why the server refused to create the database or tables (credentials, grants); null when it did not. */
  let refused: string | null = null;
  let closed = false;
  /** The server's engine copies every site in the background; tests and scripts copy what they ask for. */
  let syncing = false;
  let timer: NodeJS.Timeout | undefined;
  let probe: NodeJS.Timeout | undefined;
  /** What was said last about the server, so a change is logged once. */
  let said: string | null = null;

  function noteFailure(error?: unknown) {
    // The server answers but lost the tables (started again on empty storage): they are created again, and copied again.
    if (["60", "81"].includes(String((error as { code?: unknown } | null)?.code))) {
      prepared = false;
      listed.clear();
    }
    const reason = store.failure ?? (error === undefined ? null : describe(error));
    if (!reason || store.failure === null) return;
    if (said !== reason) log(`Stats: ClickHouse cannot be used (${reason}); answering from the database tables`);
    said = reason;
  }

  /**
   * Asked every few seconds whether the server answers, so /healthz says so even while every view
   * is answered from memory, and copying resumes as soon as it is back.
   */
  async function check() {
    try {
      if (!(await store.ping())) return noteFailure();
      const wasRefused = refused;
      if (!prepared) await prepare();
      if (wasRefused !== null) log("Stats: ClickHouse accepts the shared copy now; reading it and copying");
      else if (said === null) return;
      else log("Stats: ClickHouse answers again; reading the shared copy and copying where it stopped");
      said = null;
      if (syncing && !closed) void loop(false);
    } catch (error) {
      noteFailure(error);
    }
  }

  async function prepare() {
    try {
      await store.prepare();
    } catch (error) {
      // Answered but refused (credentials, grants): asked again with every check until it accepts.
      if (store.failure === null) {
        const reason = describe(error);
        if (refused !== reason) log(`Stats: ClickHouse refused the shared copy (${reason}); answering from the database tables until it accepts`);
        refused = reason;
      }
      throw error;
    }
    prepared = true;
    refused = null;
  }

  function sync(site: SyncSite, now = new Date(), beforeRegister?: BeforeRegister): Promise<void> {
    const running = pending.get(site.id);
    if (running) return running;
    const done = (async () => {
      if (!prepared) await prepare();
      if ((await syncSite(ctx, site, now, () => closed, beforeRegister)) === "busy") nextTry.set(site.id, Date.now() + BUSY_BACKOFF_MS);
    })()
      .catch((error) => {
        noteFailure(error);
        throw error;
      })
      .finally(() => {
        pending.delete(site.id);
        listed.delete(site.id);
      });
    pending.set(site.id, done);
    return done;
  }

  /** Which days the copy answers: none while the server is away or the site's copy is of an older stats version. */
  async function split(query: Pick<RangeQuery, "site" | "now" | "version">): Promise<Split> {
    if (store.failure !== null) return { through: NOTHING_COPIED, segments: [] };
    if (!prepared) {
      // While it refuses, the checks every few seconds ask again: a view would only add a log line.
      if (!closed && refused === null) sync(query.site, query.now).catch((error) => log(`Stats: copying site ${query.site.id} to ClickHouse failed: ${describe(error)}`));
      return { through: NOTHING_COPIED, segments: [] };
    }
    try {
      const copies = await copiesOf(query.site.id);
      const covered = coverage(copies, query.version);
      const through = covered.through ?? NOTHING_COPIED;
      if (through < unsettledFrom(query.site, query.now) && !closed && (nextTry.get(query.site.id) ?? 0) <= Date.now()) {
        sync(query.site, query.now).catch((error) => log(`Stats: copying site ${query.site.id} to ClickHouse failed: ${describe(error)}`));
      }
      return { through, segments: covered.segments };
    } catch (error) {
      noteFailure(error);
      return { through: NOTHING_COPIED, segments: [] };
    }
  }

  /** The copy is a cache: when it cannot answer, the tables can, with the same figures. */
  async function orSource<T>(fromCopy: () => Promise<T>, fromSource: () => Promise<T>): Promise<T> {
    try {
      return await fromCopy();
    } catch (error) {
      noteFailure(error);
      if (store.failure === null) log(`Stats: ClickHouse could not answer (${describe(error)}); answering from the tables`);
      return fromSource();
    }
  }

  /** The days not in the copy, from the tables; a view with filters of the viewer's own is bounded as the source bounds it. */
  const liveRange = (query: RangeQuery) => (query.keep === "bounded" ? source.range(query) : source.madeUp((tables) => tables.range(query)));
  const copied = (query: RangeQuery, through: string) => ({ ...query, to: query.to < through ? query.to : addDays(through, -1) });
  const live = (query: RangeQuery, through: string) => ({ ...query, from: query.from >= through ? query.from : through });
  const scopeOf = (query: RangeQuery, segments: Segment[]) => ({ siteId: query.site.id, from: query.from, to: query.to, filters: query.filters, goals: query.goals, segments });

  async function loop(again = true) {
    if (closed) return;
    try {
      if (!prepared) await prepare();
      const sites = await db.selectFrom("sites").select(["id", "timezone"]).execute();
      const known = new Set(sites.map((s) => s.id));
      const copiedSites = await store.rows(`SELECT DISTINCT site_id FROM copies`);
      for (const { site_id } of copiedSites) if (!known.has(String(site_id))) await forgetSite(store, String(site_id));
      for (const site of sites) {
        if (closed) break;
        await sync(site).catch((error) => log(`Stats: copying site ${site.id} to ClickHouse failed: ${describe(error)}`));
      }
    } catch (error) {
      noteFailure(error);
      if (store.failure === null) log(`Stats: copying to ClickHouse failed: ${describe(error)}`);
    }
    if (again && !closed) timer = setTimeout(() => void loop(), SYNC_EVERY_MS).unref();
  }

  try {
    // A server that accepts connections and never answers must not hold the start for a request's timeout.
    if (await store.ping()) await prepare();
    else noteFailure();
  } catch (error) {
    // The server may come later, or accept later: views use the tables meanwhile.
    noteFailure(error);
  }

  let checking = false;
  probe = setInterval(() => {
    if (checking || closed) return;
    checking = true;
    void check().finally(() => (checking = false));
  }, PROBE_EVERY_MS).unref();

  const engine: ClickHouseEngine = {
    sync,

    async copiedThrough(siteId) {
      const site = await db.selectFrom("sites").select("stats_version").where("id", "=", siteId).executeTakeFirst();
      return coverage(await listCopies(store, siteId), site?.stats_version ?? -1).through;
    },

    async range(query) {
      const at = await split(query);
      const { through } = at;
      if (query.from >= through) return liveRange(query);
      const part = copied(query, through);
      const fromCopy = orSource(
        () => rangeFigures(store, scopeOf(part, at.segments), query.site.timezone, query.hours),
        () => source.range(part),
      );
      if (query.to < through) return fromCopy;
      const [first, second] = await Promise.all([fromCopy, liveRange(live(query, through))]);
      return mergeFigures(first, second) satisfies RangeFigures;
    },

    async totals(query) {
      const at = await split(query);
      const { through } = at;
      if (query.from >= through) return source.totals(query);
      const part = copied(query, through);
      const fromCopy = orSource(
        () => rangeTotals(store, scopeOf(part, at.segments)),
        () => source.totals(part),
      );
      if (query.to < through) return fromCopy;
      const [first, second] = await Promise.all([fromCopy, source.totals(live(query, through))]);
      return addSums(first, second) satisfies Sums;
    },

    // Both read the last minutes or one goal's events only: the source's indexes answer them.
    currentVisitors: (query, since) => source.currentVisitors(query, since),
    goalProperties: (query, goal) => source.goalProperties(query, goal),

    // ClickHouse's work is on its own machine; the tables answer only the days not copied.
    madeUp: (work) => work(engine),

    startSyncing() {
      syncing = true;
      void loop();
    },

    processId: () => undefined,

    // /healthz is public: a refusal's own words (the user, the grants) stay in the log.
    health: () =>
      store.failure !== null && !store.refusing
        ? { state: "degraded", reason: store.failure }
        : store.failure !== null || refused !== null
          ? { state: "degraded", reason: REFUSED_REASON }
          : { state: "ok" },

    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (probe) clearInterval(probe);
      // A copy on its way stops after its current day; one stuck on the server is not waited for long.
      await Promise.race([Promise.allSettled(pending.values()), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      await store.close();
    },
  };
  return engine;
}
