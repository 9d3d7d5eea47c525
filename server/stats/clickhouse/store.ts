import { Readable } from "node:stream";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";

/**
 * The shared copy's tables. Version of the layout: tables of another version are dropped and the
 * copy is made again from the tables (it is a cache, never migrated), by whichever instance first
 * sees the difference.
 */
export const LAYOUT = 3;

/**
 * `visits`: one row per visit of a copied day, with its pageviews' paths and times and its other
 * events' names, so page and goal filters are tests on the row and pageviews are its arrays
 * unrolled. Every row carries the `copy` that wrote it; only copies listed in `copies` are read,
 * so rows written by a copy that never finished (its instance died) are never seen, and a day
 * copied again is read from its newest copy alone. Ordered by site and day, the ranges every view
 * reads; partitioned by month so old months can be dropped whole. `multi`: the visitor had more
 * than one visit that day. The others are one visitor each, so only the multi-visit minority (about
 * a fifth) needs a distinct count under filters. (Layout 2 added it.) Strings that repeat (the
 * site, the copy, paths, sources, names) are `LowCardinality`: read as small numbers into one
 * dictionary per part, so a filter tests each distinct value once and a breakdown groups numbers
 * (layout 3: the 30-day views at 1M read about a quarter less).
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS layout (version UInt32) ENGINE = MergeTree ORDER BY tuple()`,
  `CREATE TABLE IF NOT EXISTS visits (
    site_id LowCardinality(String), day Date, copy LowCardinality(String), session_id Int64, visitor_id Int64, started_at DateTime64(3, 'UTC'),
    duration Int64, pageviews UInt32, entry_page LowCardinality(String), referrer_source LowCardinality(String), referrer LowCardinality(String),
    utm_source LowCardinality(String), utm_medium LowCardinality(String), utm_campaign LowCardinality(String), country LowCardinality(String),
    device LowCardinality(String), browser LowCardinality(String), os LowCardinality(String),
    pages Array(LowCardinality(String)), page_ts Array(DateTime64(3, 'UTC')), names Array(LowCardinality(String)), multi UInt8
  ) ENGINE = MergeTree PARTITION BY toYYYYMM(day) ORDER BY (site_id, day, copy, visitor_id)`,
  /**
   * Each copied day's figures without filters, per breakdown value, counted as the copy is made:
   * visitors are salted per day, so a range's figures are sums of these rows, and a view without
   * filters (a site's dashboard, the first view of a new link) adds up a few hundred rows a day
   * instead of counting distinct visitors over every visit. `g`: a visit dimension's index, PAGES,
   * or a day's totals (DAY_TOTALS, DAY_PAGEVIEWS, with an empty value).
   */
  `CREATE TABLE IF NOT EXISTS day_values (
    site_id LowCardinality(String), day Date, copy LowCardinality(String), g Int8, value String, visitors UInt64, n UInt64, bounces UInt64, duration Int64
  ) ENGINE = MergeTree PARTITION BY toYYYYMM(day) ORDER BY (site_id, day, copy, g, value)`,
  /**
   * One row per finished copy of a run of days: written last, in one insert, after its rows, so it
   * is what makes them visible. `version` is the site's stats version the rows were read under.
   */
  `CREATE TABLE IF NOT EXISTS copies (
    site_id String, version Int64, from_day Date, to_day Date, copy String, visits UInt64, events UInt64, copied_at DateTime64(3, 'UTC')
  ) ENGINE = MergeTree ORDER BY (site_id, from_day)`,
];

export type Row = Record<string, unknown>;
export type Params = Record<string, unknown>;

export interface StoreOptions {
  /** http(s)://user:password@host:8123/database */
  url: string;
  /** Per request (copying, creating tables); a view's read waits at most `answerMs` of it. */
  timeoutMs?: number;
  /** How long a view's read may take before the server is taken for gone and the tables answer. */
  answerMs?: number;
}

/**
 * A view's read at 10M events takes a few seconds at most: a server that has not answered in 10 s
 * is taken for gone (one that accepts connections and never answers would otherwise hold each
 * view for the whole request timeout).
 */
const ANSWER_MS = 10_000;
/** Whether the server answers, asked every few seconds: a second or two is plenty. */
const PING_MS = 2_000;

/**
 * The ClickHouse server, through the official client: credentials and database from the URL.
 * Knows whether the server last answered, and why not.
 */
export class Store {
  readonly client: ClickHouseClient;
  readonly database: string;
  private readonly server: ClickHouseClient;
  /** Null while the server answers; what went wrong otherwise (for the log: it may name the user). */
  failure: string | null = null;
  /** The server answered the ping with a refusal (credentials, grants), not that it is away. */
  refusing = false;
  private readonly answerMs: number;

  constructor(options: StoreOptions) {
    this.answerMs = options.answerMs ?? ANSWER_MS;
    const url = new URL(options.url);
    this.database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, "")) || "default";
    const config = {
      username: decodeURIComponent(url.username) || "default",
      password: decodeURIComponent(url.password),
      request_timeout: options.timeoutMs ?? 30_000,
      compression: { request: false, response: false },
      log: { level: ClickHouseLogLevel.OFF },
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 as const },
    };
    const base = `${url.protocol}//${url.host}`;
    this.client = createClient({ ...config, url: base, database: this.database });
    // The database may not exist yet: it is created through a client that names none.
    this.server = createClient({ ...config, url: base });
  }

  /** Creates the database and tables (dropping tables of another layout). */
  async prepare(): Promise<void> {
    await this.tracked(async () => {
      if (this.database !== "default") await this.server.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(this.database)}` });
      await this.client.command({ query: SCHEMA[0]! });
      const rows = await this.rows(`SELECT max(version) AS v, count() AS n FROM layout`);
      const version = Number(rows[0]?.n) > 0 ? Number(rows[0]?.v) : null;
      if (version !== null && version !== LAYOUT) {
        for (const table of ["visits", "day_values", "copies", "layout"]) await this.client.command({ query: `DROP TABLE IF EXISTS ${table}` });
        await this.client.command({ query: SCHEMA[0]! });
      }
      for (const statement of SCHEMA.slice(1)) await this.client.command({ query: statement });
      if (version !== LAYOUT) await this.client.insert({ table: "layout", values: [{ version: LAYOUT }], format: "JSONEachRow" });
    });
  }

  rows(query: string, params: Params = {}): Promise<Row[]> {
    return this.tracked(async () => (await this.client.query({ query, query_params: params, format: "JSONEachRow" })).json<Row>());
  }

  /**
   * A view's read, rows and all, given up after `answerMs`: the tables answer instead, and the
   * server counts as gone until it answers a ping. ClickHouse is asked to stop the query at the
   * same time (`max_execution_time`) and when the client goes, so a slow query ends as that
   * query's error (the tables answer that one view) and does not run on.
   */
  answer(query: string, params: Params = {}): Promise<Row[]> {
    return this.tracked(async () => {
      const rows = await within(this.answerMs, async (signal) => {
        const result = await this.client.query({
          query,
          query_params: params,
          format: "JSONEachRow",
          abort_signal: signal,
          // ClickHouse stops first (0.8 of the wait): a query that is only slow ends as its own error, not as a server gone.
          clickhouse_settings: { max_execution_time: Math.max(1, Math.floor((this.answerMs * 0.8) / 1000)), cancel_http_readonly_queries_on_client_close: 1 },
        });
        // The signal stops covering the request once its headers came: a body that trickles is closed here.
        if (signal.aborted) result.close();
        else signal.addEventListener("abort", () => result.close(), { once: true });
        return result.json<Row>();
      });
      if (rows === LATE) throw new Error(`No answer within ${this.answerMs / 1000} s`);
      return rows;
    });
  }

  command(query: string, params: Params = {}): Promise<void> {
    return this.tracked(async () => void (await this.client.command({ query, query_params: params })));
  }

  insert(table: string, values: Row[]): Promise<void> {
    if (!values.length) return Promise.resolve();
    return this.tracked(async () => void (await this.client.insert({ table, values, format: "JSONEachRow" })));
  }

  /**
   * Inserts rows given as text already (`JSONCompactEachRow`: one JSON array per line, values in
   * the order of `columns`), one request for all the parts, sent as they are: nothing is parsed or
   * serialized again on the way.
   */
  insertLines(table: string, columns: string[], parts: string[]): Promise<void> {
    if (!parts.length) return Promise.resolve();
    return this.tracked(async () => {
      const result = await this.client.exec({
        query: `INSERT INTO ${table} (${columns.join(", ")}) FORMAT JSONCompactEachRow`,
        values: Readable.from(parts.map((part) => `${part}\n`), { objectMode: false }),
      });
      // The answer says nothing an insert needs; it is read to the end so the connection is free again.
      for await (const _ of result.stream);
    });
  }

  /**
   * Whether the server answers a query with these credentials within PING_MS: a server that
   * accepts connections and never answers, or that now refuses the credentials, is not there.
   */
  async ping(): Promise<boolean> {
    const result = await within(PING_MS, (signal) => this.client.ping({ select: true, abort_signal: signal }).catch((error: unknown) => ({ success: false as const, error })));
    if (result === LATE) {
      this.failure = `No answer within ${PING_MS / 1000} s`;
      this.refusing = false;
      return false;
    }
    this.refusing = !result.success && isServerError(result.error);
    if (result.success) this.failure = null;
    else this.failure = describe(result.error);
    return result.success;
  }

  private async tracked<T>(work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.failure = null;
      return result;
    } catch (error) {
      // A query the server rejected says nothing about whether it is there.
      if (!isServerError(error)) this.failure = describe(error);
      throw error;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.client.close(), this.server.close()]);
  }
}

const LATE = Symbol("late");

/**
 * `work`'s result if it comes within `ms`, LATE otherwise (and its signal aborted). Raced, not only
 * aborted: the client stops watching its signal once an answer's headers came.
 */
async function within<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T | typeof LATE> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => (timer = setTimeout(() => resolve(LATE), ms)));
  const done = work(controller.signal);
  done.catch(() => {});
  try {
    const result = await Promise.race([done, late]);
    if (result === LATE) controller.abort();
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** An error the server sent (it is up): it carries ClickHouse's error code. */
const isServerError = (error: unknown) => typeof error === "object" && error !== null && "type" in error && typeof (error as { code?: unknown }).code === "string";

/** An error in a line of the log: without the query it was about (it holds viewers' filter values). */
export const describe = (error: unknown) => {
  const message = (error instanceof Error ? error.message : String(error)).split(/\.? In query /)[0]!.slice(0, 300);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code) ? `${code}: ${message}` : message;
};

const quoteIdentifier = (name: string) => `\`${name.replace(/[`\\]/g, (c) => `\\${c}`)}\``;
