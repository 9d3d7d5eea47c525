import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

export interface ColumnarOptions {
  /** A file for the copy, or "memory". */
  path: string;
  /** DuckDB's memory limit: beyond it, queries spill to disk next to the file or fail. */
  memoryMb: number;
  threads: number;
}

/**
 * Version of the copy's layout. A file of another version is deleted and rebuilt from the source:
 * the copy is a cache, never migrated.
 */
const LAYOUT = 2;

const VISIT_DIMENSION_COLUMNS = `entry_page varchar, referrer_source varchar, referrer varchar, utm_source varchar, utm_medium varchar,
  utm_campaign varchar, country varchar, device varchar, browser varchar, os varchar`;

/**
 * Flags computed once per finished day, when it is copied; a day never changes after it ends.
 * `multi`: the visitor had more than one visit that day. `firsts`: bit 0 marks the visitor's first
 * visit of the day, bit i + 1 their first visit with this value of the i-th visit dimension.
 * `first_view`: the first view of its path in its visit; `first_of_day`: the visitor's first view
 * of that path that day. Without filters, unique visitors per value are then plain counts of
 * flagged rows; under filters the flags of single-visit visitors still hold, and only the
 * multi-visit minority needs a distinct count.
 */
const SCHEMA = [
  `create table if not exists layout (version integer)`,
  `create table if not exists visits (site_id varchar, day date, session_id bigint, visitor_id bigint, started_at timestamptz,
    duration double, pageviews integer, ${VISIT_DIMENSION_COLUMNS}, multi boolean, firsts integer)`,
  `create table if not exists events (site_id varchar, day date, ts timestamptz, name varchar, pathname varchar,
    visitor_id bigint, session_id bigint, ${VISIT_DIMENSION_COLUMNS}, multi boolean, first_view boolean, first_of_day boolean)`,
  /** Per site: every day before `through` is in the copy, as of the site's stats version. */
  `create table if not exists synced (site_id varchar primary key, through date, version integer)`,
];

export type Row = Record<string, unknown>;

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

export class Columnar {
  /**
   * DuckDB runs each query on a thread of its own besides its `threads` workers, so concurrent
   * queries would take every core. At most `threads` queries run at once: the column store then
   * uses at most that many cores, and the rest stay with the web server and the database.
   */
  private readonly running: Gate;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly path: string,
    threads: number,
  ) {
    this.running = new Gate(threads);
  }

  static async open(options: ColumnarOptions): Promise<Columnar> {
    const path = options.path === "memory" ? ":memory:" : options.path;
    const settings = { memory_limit: `${options.memoryMb}MB`, threads: String(options.threads), preserve_insertion_order: "false" };
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    let instance = await DuckDBInstance.create(path, settings).catch(() => null);
    let columnar = instance && new Columnar(instance, path, options.threads);
    if (!columnar || !(await columnar.current())) {
      // Unreadable, or written by another layout: it is only a cache, so start it again.
      instance?.closeSync();
      if (path !== ":memory:") for (const file of [path, `${path}.wal`]) rmSync(file, { force: true });
      instance = await DuckDBInstance.create(path, settings);
      columnar = new Columnar(instance, path, options.threads);
    }
    for (const statement of SCHEMA) await columnar.run(statement);
    await columnar.run(`delete from layout`);
    await columnar.run(`insert into layout values (${LAYOUT})`);
    return columnar;
  }

  /** True for a new, empty file or one of this layout. */
  private async current(): Promise<boolean> {
    try {
      const tables = await this.query(`select count(*)::int as n from information_schema.tables where table_name = 'layout'`);
      if (!tables[0]?.n) return true;
      const rows = await this.query(`select version from layout`);
      return rows.length === 0 || rows[0]!.version === LAYOUT;
    } catch {
      return false;
    }
  }

  private async with<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.instance.connect();
    try {
      return await work(connection);
    } finally {
      connection.closeSync();
    }
  }

  query(sql: string, values: (string | number)[] = []): Promise<Row[]> {
    return this.running.run(() => this.with(async (c) => (await c.runAndReadAll(sql, values)).getRowObjectsJS() as Row[]));
  }

  run(sql: string, values: (string | number)[] = []): Promise<void> {
    return this.running.run(() => this.with(async (c) => void (await c.run(sql, values))));
  }

  /**
   * Statements on one connection in one transaction: readers see all of it or none. Only the
   * copy's sync writes, one transaction at a time, waiting on the tables between statements: it
   * does not hold back readers.
   */
  async transaction<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.with(async (c) => {
      await c.run("begin transaction");
      try {
        const result = await work(c);
        await c.run("commit");
        return result;
      } catch (error) {
        await c.run("rollback").catch(() => {});
        throw error;
      }
    });
  }

  close(): void {
    this.instance.closeSync();
  }
}
