import { TooManyRequests } from "./errors.js";

/** A count of permits with a bounded line of waiters. */
class Semaphore {
  private readonly queue: Array<() => void> = [];
  constructor(
    private permits: number,
    private readonly maxWaiting: number,
  ) {}

  /** Resolves when a permit is held; false when none is free and the line is full. */
  acquire(): Promise<void> | false {
    if (this.permits > 0) {
      this.permits--;
      return Promise.resolve();
    }
    if (this.queue.length >= this.maxWaiting) return false;
    return new Promise((resolve) => this.queue.push(resolve));
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.permits++;
  }

}

/** Who a run is for (a client network, a link), and what that one key may hold. */
export interface KeyLimit {
  key: string;
  /** Runs of this key at once. */
  max: number;
  /** Runs of this key waiting for one of those; beyond them a run is refused with `message`. */
  waiting: number;
  message: string;
}

export interface LimiterOptions {
  /** Runs at once, over all keys. */
  active: number;
  /** Runs waiting in line for those; beyond them a run is refused at once. */
  waiting: number;
  message: string;
  retryAfterSeconds: number;
}

/**
 * At most `active` runs at once and `waiting` in line; anything beyond is refused at once with a
 * 429, so a flood of expensive requests queues briefly instead of starving everything else.
 * Each run may name keys with limits of their own, taken before the shared line: one client's
 * flood then waits, and is refused, at its own door and never fills the line others wait in.
 */
export function createLimiter(options: LimiterOptions) {
  const all = new Semaphore(options.active, options.waiting);
  const perKey = new Map<string, Semaphore>();
  const keyed = (limit: KeyLimit) => {
    let semaphore = perKey.get(limit.key);
    if (!semaphore) perKey.set(limit.key, (semaphore = new Semaphore(limit.max, limit.waiting)));
    return semaphore;
  };
  // Runs that named each key, waiting or running: a key's semaphore is forgotten with its last run.
  const users = new Map<string, number>();
  const enter = (key: string) => users.set(key, (users.get(key) ?? 0) + 1);
  const leave = (key: string) => {
    const left = (users.get(key) ?? 1) - 1;
    if (left > 0) users.set(key, left);
    else {
      users.delete(key);
      perKey.delete(key);
    }
  };

  return async function limited<T>(work: () => Promise<T>, keys: KeyLimit[] = []): Promise<T> {
    const taken: Semaphore[] = [];
    const entered: string[] = [];
    const releaseAll = () => {
      for (const semaphore of taken.splice(0).reverse()) semaphore.release();
    };
    try {
      // Keys in the order given, then the shared line: the same order for every run, so two
      // runs never wait on each other crosswise.
      for (const limit of keys) {
        const semaphore = keyed(limit);
        enter(limit.key);
        entered.push(limit.key);
        const turn = semaphore.acquire();
        if (turn === false) throw new TooManyRequests(limit.message, options.retryAfterSeconds);
        await turn;
        taken.push(semaphore);
      }
      const turn = all.acquire();
      if (turn === false) throw new TooManyRequests(options.message, options.retryAfterSeconds);
      await turn;
      taken.push(all);
      return await work();
    } finally {
      releaseAll();
      for (const key of entered) leave(key);
    }
  };
}
