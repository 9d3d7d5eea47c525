import type { Db } from "../../db/client.js";
import { Unavailable } from "../errors.js";
import { writeBatch } from "./batch.js";
import { eventSize } from "./event-size.js";
import type { PreparedEvent } from "./model.js";
import { refreshStatistics } from "./salts.js";

/** Events per transaction: a few hundred milliseconds of work for Postgres, a few MB of JSON. */
const BATCH_MAX = 5_000;
/**
 * Text per transaction (EventSize.text: properties, pages, referrers), so the JSON of one
 * statement stays small however large the events are: 5,000 events of 14.7 KB made one 70 MB
 * string, and copying it for the driver ran a 128 MB heap out of memory. On the embedded database
 * a statement also holds the event loop while it runs, and every request waits: 120 such events
 * (2 MB) took 0.2–2.2 s on a busy 2-core machine, and under a flood on a loaded one the request log
 * fell silent for up to 8 s, past the 5 s after which Node closes idle keep-alive connections
 * (their next request is reset). Plain pageviews (about 150 bytes of text) still go 5,000 to a
 * transaction; events with 30 properties of 480 characters about 70.
 */
const BATCH_MAX_TEXT = 1024 * 1024;
/** A clean stop tries this many times to write what is held before it counts it lost. */
const CLOSE_ATTEMPTS = 3;
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
  /** Bytes held at most (waiting and being written, counted by eventSize); past it, events are refused. */
  maxBytes: number;
  report?: (line: string) => void;
}

/** An accepted event, what it costs to hold, and its text (what it adds to a batch's JSON). */
interface Held {
  event: PreparedEvent;
  bytes: number;
  text: number;
}

const bytesOf = (held: readonly Held[]) => held.reduce((sum, h) => sum + h.bytes, 0);

/**
 * Accepted events wait here and are written together: every flushMs, or at once when a full
 * batch (by count or by text) is waiting. One write runs at a time per process, a batch at a
 * time in the order the events came. When a write fails because the database is away, its
 * events go back to the front and the write is retried, backing off. What is held (waiting and
 * being written) is bounded by count and by bytes: events past either bound are refused (503)
 * rather than held, whether the database is away or events come faster than it takes them.
 * What this costs: a crash (SIGKILL, power loss) loses the events accepted since the last write,
 * at most flushMs of them plus a write under way while the database keeps up, and what is held
 * while it does not; a clean stop writes them all.
 */
export class EventBuffer {
  private pending: Held[] = [];
  private pendingBytes = 0;
  private pendingText = 0;
  private writing = 0;
  private writingBytes = 0;
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

  /** What the events accepted and not yet written hold, counted by eventSize. */
  get bytes(): number {
    return this.pendingBytes + this.writingBytes;
  }

  accept(event: PreparedEvent): void {
    if (this.closed) throw new Unavailable("Glimpse is restarting and cannot take events for a moment. Send this event again in a few seconds.", RETRY_AFTER_SECONDS);
    const { held: bytes, text } = eventSize(event);
    if (this.size >= this.options.maxEvents || this.bytes + bytes > this.options.maxBytes) {
      throw new Unavailable(
        this.failures > 0
          ? "Glimpse cannot store events right now: its database is not answering. Send this event again in a few seconds."
          : "Glimpse cannot store events right now: it is holding as many as it can until its database has written them. Send this event again in a few seconds.",
        RETRY_AFTER_SECONDS,
      );
    }
    this.pending.push({ event, bytes, text });
    this.pendingBytes += bytes;
    this.pendingText += text;
    // A full batch goes now, unless the database is failing (then the retry's back-off holds).
    if (this.batchWaiting() && this.timer && this.failures === 0) {
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
    // A write that failed just now (a statement that timed out while the database was stuck) does
    // not mean the next one will: a stop gives the database a few chances before giving up.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.flush();
        return 0;
      } catch (error) {
        if (attempt < CLOSE_ATTEMPTS) continue;
        this.report(`${this.size} accepted events could not be written before stopping (${describe(error)}).`);
        return this.size;
      }
    }
  }

  /** Makes sure a write is coming while events wait and none is under way or planned. */
  private kick(): void {
    if (this.closed || this.timer || this.running || this.pending.length === 0) return;
    const delay = this.failures > 0 ? Math.min(this.options.flushMs * 2 ** this.failures, MAX_RETRY_MS) : this.batchWaiting() ? 0 : this.options.flushMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      // A failure is reported and retried by flush itself.
      this.flush().catch(() => {});
    }, delay);
    // The server's sockets keep the process alive; a pending write alone should not.
    this.timer.unref();
  }

  private batchWaiting(): boolean {
    return this.pending.length >= BATCH_MAX || this.pendingText >= BATCH_MAX_TEXT;
  }

  /** The longest run of waiting events, in their order, within BATCH_MAX and BATCH_MAX_TEXT (at least one). */
  private takeBatch(): Held[] {
    let count = 0;
    let text = 0;
    while (count < this.pending.length && count < BATCH_MAX && (count === 0 || text + this.pending[count]!.text <= BATCH_MAX_TEXT)) text += this.pending[count++]!.text;
    const batch = this.pending.splice(0, count);
    this.pendingBytes -= bytesOf(batch);
    this.pendingText -= text;
    return batch;
  }

  /**
   * Batch after batch until nothing waits, each a transaction with its visits; a batch is
   * written only after the one before it, so every visitor's events are placed in the order they
   * came (./visits.ts), wherever the batches are cut. A batch the database refuses as invalid data
   * (which validation should make impossible) is split until the offending event is found and
   * dropped, so one bad event cannot hold up every other one; any other failure stops here and
   * puts the unwritten events back in front, in their order.
   */
  private async writeAll(): Promise<void> {
    while (this.pending.length > 0) {
      const parts = [this.takeBatch()];
      this.writing = parts[0]!.length;
      this.writingBytes = bytesOf(parts[0]!);
      try {
        while (parts.length > 0) {
          const part = parts[0]!;
          try {
            this.writtenSinceAnalyze += await writeBatch(this.db, part.map((h) => h.event));
          } catch (error) {
            if (!isDataError(error)) throw error;
            parts.shift();
            if (part.length > 1) parts.unshift(part.slice(0, part.length >> 1), part.slice(part.length >> 1));
            else {
              this.report(`An event was dropped: the database refused it (${describe(error)}).`);
              this.writing -= 1;
              this.writingBytes -= part[0]!.bytes;
            }
            continue;
          }
          parts.shift();
          this.writing -= part.length;
          this.writingBytes -= bytesOf(part);
        }
      } catch (error) {
        const unwritten = parts.flat();
        this.pending.unshift(...unwritten);
        this.pendingBytes += bytesOf(unwritten);
        this.pendingText += unwritten.reduce((sum, h) => sum + h.text, 0);
        throw error;
      } finally {
        this.writing = 0;
        this.writingBytes = 0;
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
