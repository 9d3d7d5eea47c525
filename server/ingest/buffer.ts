import type { Db } from "../../db/client.js";
import { env } from "../env.js";
import { Unavailable } from "../errors.js";
import { writeBatch } from "./batch.js";
import type { PreparedEvent } from "./model.js";
import { refreshStatistics } from "./salts.js";

/** Events per transaction: a few hundred milliseconds of work for Postgres, a few MB of JSON. */
const BATCH_MAX = 5_000;
/**
 * The planner's row estimates for today start from statistics taken when today had no rows; on a
 * busy day a page-filtered view of today then picks nested loops that take minutes instead of
 * milliseconds (PGlite has no autovacuum, and a Postgres may have it off or slow). So after this
 * many events written, at most every ANALYZE_EVERY_MS, the statistics are refreshed.
 */
const ANALYZE_AFTER_EVENTS = 5_000;
const ANALYZE_EVERY_MS = 30_000;
/** While the database is away, retries back off up to this. */
const MAX_RETRY_MS = 10_000;
const RETRY_AFTER_SECONDS = 5;

export interface BufferOptions {
  /** The longest an accepted event waits before its batch is written. */
  flushMs: number;
  /** Events held at most (waiting and being written); past it, events are refused. */
  maxEvents: number;
  report?: (line: string) => void;
}

/**
 * Accepted events wait here and are written together: every flushMs, or at once when a full
 * batch is waiting. One write runs at a time per process. When a write fails because the
 * database is away, its events go back to the front and the write is retried, backing off; the
 * buffer then fills up to maxEvents, and events past that are refused (503) rather than held
 * without bound. What this costs: a crash (SIGKILL, power loss) loses the events accepted since
 * the last write, at most flushMs of them plus a write under way; a clean stop writes them all.
 */
export class EventBuffer {
  private pending: PreparedEvent[] = [];
  private writing = 0;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  private writtenSinceAnalyze = 0;
  private lastAnalyze = 0;

  constructor(
    private readonly db: Db,
    private readonly options: BufferOptions,
  ) {}

  /** Events accepted and not yet written. */
  get size(): number {
    return this.pending.length + this.writing;
  }

  accept(event: PreparedEvent): void {
    if (this.closed) throw new Unavailable("Glimpse is restarting and cannot take events for a moment. Send this event again in a few seconds.", RETRY_AFTER_SECONDS);
    if (this.size >= this.options.maxEvents) {
      throw new Unavailable("Glimpse cannot store events right now: its database is not answering. Send this event again in a few seconds.", RETRY_AFTER_SECONDS);
    }
    this.pending.push(event);
    // A full batch goes now, unless the database is failing (then the retry's back-off holds).
    if (this.pending.length >= BATCH_MAX && this.timer && this.failures === 0) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.kick();
  }

  /** Writes everything accepted so far; throws if the database fails (the events stay). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.running) {
        await this.running;
        continue;
      }
      if (this.pending.length === 0) return;
      this.running = this.writeAll().then(
        () => {
          this.running = null;
          if (this.failures > 0) this.report(`Events are being written again; ${this.size} waiting.`);
          this.failures = 0;
          this.kick();
        },
        (error: unknown) => {
          // Counted before the next write is planned, so retries back off.
          this.running = null;
          this.failures += 1;
          this.report(`Events could not be written (${describe(error)}); ${this.size} waiting, retrying.`);
          this.kick();
          throw error;
        },
      );
    }
  }

  /**
   * Takes no more events and writes what is held (a clean shutdown). Returns how many events
   * could not be written because the database failed; those are reported, and lost.
   */
  async close(): Promise<number> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      await this.flush();
      return 0;
    } catch (error) {
      this.report(`${this.size} accepted events could not be written before stopping (${describe(error)}).`);
      return this.size;
    }
  }

  /** Makes sure a write is coming while events wait and none is under way or planned. */
  private kick(): void {
    if (this.closed || this.timer || this.running || this.pending.length === 0) return;
    const delay = this.failures > 0 ? Math.min(this.options.flushMs * 2 ** this.failures, MAX_RETRY_MS) : this.pending.length >= BATCH_MAX ? 0 : this.options.flushMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      // A failure is reported and retried by flush itself.
      this.flush().catch(() => {});
    }, delay);
    // The server's sockets keep the process alive; a pending write alone should not.
    this.timer.unref();
  }

  /**
   * Batch after batch until nothing waits. A batch the database refuses as invalid data (which
   * validation should make impossible) is split until the offending event is found and dropped,
   * so one bad event cannot hold up every other one; any other failure stops here and puts the
   * unwritten events back in front, in their order.
   */
  private async writeAll(): Promise<void> {
    while (this.pending.length > 0) {
      const parts = [this.pending.splice(0, BATCH_MAX)];
      this.writing = parts[0]!.length;
      try {
        while (parts.length > 0) {
          const part = parts[0]!;
          try {
            this.writtenSinceAnalyze += await writeBatch(this.db, part);
          } catch (error) {
            if (!isDataError(error)) throw error;
            parts.shift();
            if (part.length > 1) parts.unshift(part.slice(0, part.length >> 1), part.slice(part.length >> 1));
            else {
              this.report(`An event was dropped: the database refused it (${describe(error)}).`);
              this.writing -= 1;
            }
            continue;
          }
          parts.shift();
          this.writing -= part.length;
        }
      } catch (error) {
        this.pending.unshift(...parts.flat());
        throw error;
      } finally {
        this.writing = 0;
      }
    }
    await this.analyzeWhenDue();
  }

  private async analyzeWhenDue(): Promise<void> {
    if (this.writtenSinceAnalyze < ANALYZE_AFTER_EVENTS || Date.now() - this.lastAnalyze < ANALYZE_EVERY_MS) return;
    this.writtenSinceAnalyze = 0;
    this.lastAnalyze = Date.now();
    await refreshStatistics(this.db).catch((error: unknown) => this.report(`Statistics could not be refreshed (${describe(error)}).`));
  }

  private report(line: string): void {
    (this.options.report ?? reportToLog)(line);
  }
}

function reportToLog(line: string): void {
  process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level: "error", error: line })}\n`);
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation). */
function isDataError(error: unknown): boolean {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  return code.startsWith("22") || code.startsWith("23");
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}

const buffers = new WeakMap<Db, EventBuffer>();

/** This process's buffer for a database. */
export function eventBuffer(db: Db): EventBuffer {
  let buffer = buffers.get(db);
  if (!buffer) {
    buffer = new EventBuffer(db, env().ingestBuffer);
    buffers.set(db, buffer);
  }
  return buffer;
}

/** Writes the events accepted so far for this database (tests, tools that read right after). */
export async function flushEvents(db: Db): Promise<void> {
  await buffers.get(db)?.flush();
}

/** For shutdown: writes everything held and refuses further events; returns how many were lost. */
export async function closeEventBuffer(db: Db): Promise<number> {
  return (await buffers.get(db)?.close()) ?? 0;
}
