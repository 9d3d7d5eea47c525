import { type ChildProcess, fork } from "node:child_process";
import { existsSync } from "node:fs";
import { setPriority } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface ColumnarOptions {
  /** A file for the copy, or "memory". */
  path: string;
  /** DuckDB's memory limit: beyond it, queries spill to disk next to the file or fail. */
  memoryMb: number;
  /** How many queries run at once, each on one core (see `Columnar.running`). */
  threads: number;
  /** How long a view's query may take before the process is taken for hung (ended, and started again). */
  answerMs?: number;
  log?: (line: string) => void;
}

/** A view's query at 10M events takes a few seconds at most: one that takes this long is a process that hangs. */
const ANSWER_MS = 10_000;

/**
 * Version of the copy's layout. A file of another version is deleted and rebuilt from the source:
 * the copy is a cache, never migrated. (4: durations in integer milliseconds; 6: each visit's
 * pages, by id, and event names; 7: the pages' ids as bits.)
 */
const LAYOUT = 7;

const VISIT_DIMENSION_COLUMNS = `entry_page varchar, referrer_source varchar, referrer varchar, utm_source varchar, utm_medium varchar,
  utm_campaign varchar, country varchar, device varchar, browser varchar, os varchar`;

/**
 * Flags computed once per finished day, when it is copied; a day never changes after it ends.
 * `multi`: the visitor had more than one visit that day. `firsts`: bit 0 marks the visitor's first
 * visit of the day, bit i + 1 their first visit with this value of the i-th visit dimension.
 * `first_view`: the first view of its path in its visit; `first_of_day`: the visitor's first view
 * of that path that day. Without filters, unique visitors per value are then plain counts of
 * flagged rows; under filters the flags of single-visit visitors still hold, and only the
 * multi-visit minority needs a distinct count. `pages` and `names`: the paths of the visit's
 * pageviews (as ids of `paths`, the site's dictionary of paths) and the names of its other events,
 * repeats kept, so page and goal filters test the visit row and conversions are counted from it.
 * `page_bits`: which of the first path ids the visit viewed, as bits (see `PAGE_BITS` in
 * rows.ts), so most page tests are one `&` instead of a walk through the list.
 */
const SCHEMA = [
  `create table if not exists layout (version integer)`,
  `create table if not exists visits (site_id varchar, day date, session_id bigint, visitor_id bigint, started_at timestamptz,
    duration bigint, pageviews integer, ${VISIT_DIMENSION_COLUMNS}, multi boolean, firsts integer, pages integer[], names varchar[], page_bits bigint)`,
  `create table if not exists paths (site_id varchar, pathname varchar, id integer)`,
  `create table if not exists events (site_id varchar, day date, ts timestamptz, name varchar, pathname varchar,
    visitor_id bigint, session_id bigint, ${VISIT_DIMENSION_COLUMNS}, multi boolean, first_view boolean, first_of_day boolean)`,
  /**
   * Each copied day's unfiltered figures, per breakdown value, summed from the flags as the day is
   * copied: a view without filters adds up a few rows per day instead of reading every visit.
   */
  `create table if not exists day_values (site_id varchar, day date, g integer, value varchar, visitors double, n double, bounces double, duration bigint)`,
  /** Per site: every day before `through` is in the copy, as of the site's stats version. */
  `create table if not exists synced (site_id varchar primary key, through date, version integer)`,
];

export type Row = Record<string, unknown>;

/** How the child appends a column's values: a date is `YYYY-MM-DD`, an instant a Date. */
export type ColumnType = "varchar" | "integer" | "bigint" | "double" | "date" | "timestamptz";

export interface ColumnarTransaction {
  run(sql: string, values?: (string | number)[]): Promise<void>;
  query(sql: string, values?: (string | number)[]): Promise<Row[]>;
  /** Appends rows (arrays in the table's column order) to a table. */
  append(table: string, types: ColumnType[], rows: unknown[][]): Promise<void>;
}

/** At most `size` runs at once, the others in order. (Callers are already bounded upstream.) */
class Gate {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/** The child's script sits beside this module in the sources; the server build is one folder below the app. */
function childScript(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const script = join(folder, "server/stats/columnar/duckdb-process.mjs");
    if (existsSync(join(folder, "duckdb-process.mjs"))) return join(folder, "duckdb-process.mjs");
    if (existsSync(script)) return script;
    const parent = dirname(folder);
    if (parent === folder) throw new Error("The column store's process script is missing");
    folder = parent;
  }
}

/** The heap of the child holds only messages in flight: DuckDB's own memory is bounded by `memoryMb`. */
const CHILD_HEAP_MB = 128;

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/**
 * How much lower the column store's priority is than the web server's: when both want a core, the
 * server gets about nine tenths of it (the kernel weighs niceness 10 about a tenth of 0).
 */
const NICENESS = 10;

/** Values kept in lookups at once (a path id is one): made-up path filters cannot grow them past a few MB. */
const MAX_KEPT_VALUES = 250_000;

/** How many values a lookup's rows hold, each entry of a list one. */
const sizeOf = (rows: Row[]) => rows.reduce((sum, row) => sum + Object.values(row).reduce<number>((n, value) => n + (Array.isArray(value) ? value.length : 1), 0), 0);

/** After the process ends unasked, how soon a new one starts (whether or not a view asks). */
const RESTART_AFTER_MS = 1000;

/**
 * The copy lives in DuckDB in a child process (see duckdb-process.mjs). If the child dies (a
 * query beyond every limit, a kill, a hang past `answerMs`), what was in flight fails, and a new
 * process starts on the same file a second later.
 */
export class Columnar {
  /**
   * Each query runs on one thread, and at most `threads` run at once: the column store then uses
   * at most that many cores. A view's statements are small (30 days at 1M events: a dozen of 1 to
   * 35 ms), so they gain from running side by side, not from a query spread over threads: on
   * two, the same statements took twice the CPU in the same time, while two at a time took a cold
   * 30-day `country = DE` view at 1M events from 146 to 90 ms (decision 006, item 19). The process runs at a lower priority than the server
   * (`NICENESS`), so pages and events still come first when the cores are busy.
   */
  private readonly running: Gate;
  private child: ChildProcess | null = null;
  private starting: Promise<ChildProcess> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** Counts the processes started: what a process held in memory is gone with it. */
  generation = 0;
  /** Counts the copy's writes begun and ended: a lookup kept under one count holds until the next. */
  private writes = 0;
  private readonly kept = new Map<string, Row[]>();
  private keptValues = 0;
  /** Why the process is not running, from when it ended unasked until a new one runs (for /healthz). */
  failure: string | null = null;

  private constructor(
    private readonly options: ColumnarOptions,
    readonly path: string,
  ) {
    this.running = new Gate(options.threads);
  }

  static async open(options: ColumnarOptions): Promise<Columnar> {
    const columnar = new Columnar(options, options.path === "memory" ? ":memory:" : options.path);
    await columnar.process();
    return columnar;
  }

  /** What one query's rows must fit in to stay off the disk (see ./queries.ts): DuckDB's memory limit, shared by the queries that run at once. */
  get memoryMb(): number {
    return this.options.memoryMb / this.options.threads;
  }

  /** The child's pid while it runs (the bench samples its memory). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private process(): Promise<ChildProcess> {
    if (this.child) return Promise.resolve(this.child);
    this.starting ??= this.start().finally(() => (this.starting = null));
    return this.starting;
  }

  private async start(): Promise<ChildProcess> {
    if (this.closed) throw new Error("The column store is closed");
    const child = fork(childScript(), [], {
      execArgv: [`--max-old-space-size=${CHILD_HEAP_MB}`],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.on("message", (message: { id: number; result?: unknown; error?: string }) => {
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) waiting?.reject(new Error(message.error));
      else waiting?.resolve(message.result);
    });
    child.on("exit", (code, signal) => {
      if (this.child === child) this.child = null;
      const failure = new Error(`The column store's process ended (${signal ?? `exit ${code}`})`);
      for (const waiting of this.pending.values()) waiting.reject(failure);
      this.pending.clear();
      if (this.closed) return;
      this.failure = failure.message;
      this.options.log?.(`${failure.message}; the tables answer until it has started again`);
      // Started again soon whether or not a view asks, so the copy (and /healthz) do not wait for traffic.
      setTimeout(() => void this.process().catch(() => {}), RESTART_AFTER_MS).unref();
    });
    child.on("error", () => {});
    try {
      if (child.pid) setPriority(child.pid, NICENESS);
    } catch {
      // A system that does not let a process lower its child's priority runs it at the server's.
    }
    const settings = { memory_limit: `${this.options.memoryMb}MB`, threads: "1", preserve_insertion_order: "false" };
    try {
      await this.send(child, "open", { path: this.path, settings, layout: LAYOUT, schema: SCHEMA });
    } catch (error) {
      child.kill();
      throw error;
    }
    if (child.exitCode !== null || child.signalCode !== null) throw new Error("The column store's process ended as it started");
    this.child = child;
    this.generation++;
    this.forgetLookups();
    this.failure = null;
    return child;
  }

  /**
   * One message to the child and its answer. With `answerMs`, a process that has not answered by
   * then (stopped, stuck) is ended: what it was asked fails now, so views are answered from the
   * tables instead of waiting, and the next one starts a new process.
   */
  private send(child: ChildProcess, op: string, input: Record<string, unknown> = {}, answerMs?: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = answerMs
        ? setTimeout(() => {
            if (!this.pending.has(id)) return;
            this.failure = `The column store did not answer within ${answerMs / 1000} s`;
            this.options.log?.(`${this.failure}; its process is ended and started again`);
            child.kill("SIGKILL");
          }, answerMs)
        : null;
      const settle = () => timer && clearTimeout(timer);
      this.pending.set(id, {
        resolve: (value) => (settle(), resolve(value)),
        reject: (error) => (settle(), reject(error)),
      });
      child.send({ id, op, ...input }, (error) => {
        if (!error) return;
        this.pending.delete(id);
        settle();
        reject(error);
      });
    });
  }

  private async call(op: string, input: Record<string, unknown> = {}): Promise<unknown> {
    return this.send(await this.process(), op, input, this.options.answerMs ?? ANSWER_MS);
  }

  query(sql: string, values: (string | number)[] = []): Promise<Row[]> {
    return this.running.run(() => this.call("query", { sql, values }) as Promise<Row[]>);
  }

  /**
   * A small read kept until the copy is next written or its process starts again: what the copy
   * holds of a site and the ids of the paths a view tests are asked by each part of every view
   * (a cold view at 1M events asked eight such lookups, about 3 ms each, before its first count).
   * A lookup that saw a write begin or end is not kept, so what is kept is what a read would see.
   */
  async lookup(sql: string, values: (string | number)[] = []): Promise<Row[]> {
    const key = JSON.stringify([sql, values]);
    const kept = this.kept.get(key);
    if (kept) return kept;
    const [writes, generation] = [this.writes, this.generation];
    const rows = await this.query(sql, values);
    const size = sizeOf(rows);
    if (writes === this.writes && generation === this.generation && size <= MAX_KEPT_VALUES / 10) {
      if (this.keptValues + size > MAX_KEPT_VALUES) this.forgetLookups();
      this.kept.set(key, rows);
      this.keptValues += size;
    }
    return rows;
  }

  private written(): void {
    this.writes++;
    this.forgetLookups();
  }

  private forgetLookups(): void {
    this.kept.clear();
    this.keptValues = 0;
  }

  run(sql: string, values: (string | number)[] = []): Promise<void> {
    this.written();
    return this.running.run(async () => void (await this.call("run", { sql, values }))).finally(() => this.written());
  }

  /**
   * Statements on one connection in one transaction: readers see all of it or none. Only the
   * copy's sync writes, one transaction at a time, waiting on the tables between statements: it
   * does not hold back readers.
   */
  async transaction<T>(work: (transaction: ColumnarTransaction) => Promise<T>): Promise<T> {
    this.written();
    try {
      return await this.transactionOnce(work);
    } finally {
      this.written();
    }
  }

  private async transactionOnce<T>(work: (transaction: ColumnarTransaction) => Promise<T>): Promise<T> {
    const child = await this.process();
    const id = (await this.send(child, "begin")) as number;
    const transaction: ColumnarTransaction = {
      run: async (sql, values = []) => void (await this.send(child, "transactionRun", { transaction: id, sql, values })),
      query: (sql, values = []) => this.send(child, "transactionQuery", { transaction: id, sql, values }) as Promise<Row[]>,
      append: async (table, types, rows) => void (await this.send(child, "append", { transaction: id, table, types, rows })),
    };
    try {
      const result = await work(transaction);
      await this.send(child, "end", { transaction: id, commit: true });
      return result;
    } catch (error) {
      await this.send(child, "end", { transaction: id, commit: false }).catch(() => {});
      throw error;
    }
  }

  /** Ends the child once it has closed the file. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    await this.send(child, "close").catch(() => {});
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}
