import { sql } from "kysely";
import type { Db } from "../db/client.js";
import { TooManyRequests } from "./errors.js";

/**
 * One counter: at most `max` hits per `windowMinutes` under `key` (a fixed-length key from
 * `limitKey`), and what to tell the client when it is spent.
 */
export interface Budget {
  key: string;
  max: number;
  windowMinutes: number;
  message: string;
}

const MINUTE = 60_000;

/**
 * Counts an attempt before the work it guards, so concurrent attempts cannot all slip under a
 * limit: the k-th attempt to commit sees at least k hits. Counters live in Postgres in one-minute
 * buckets (a sliding window), so every app instance shares them. Budgets are taken in the order
 * given, each only once the ones before it have room: a client over its own budget never counts
 * against a shared one (a link's ceiling), even for the moment its attempt is in flight. Throws
 * TooManyRequests, with the seconds until the spent budget has room again; that attempt then
 * counts nowhere. Returns a release function for attempts that turn out not to count (a correct
 * password, or a server too busy to check it).
 */
export async function takeHit(db: Db, budgets: Budget[], now = new Date()): Promise<() => Promise<void>> {
  const bucket = bucketOf(now);
  const taken: string[] = [];
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await releaseHits(db, taken, bucket);
  };
  for (const budget of budgets) {
    await db
      .insertInto("rate_limit_hits")
      .values({ key: budget.key, bucket, hits: 1 })
      .onConflict((oc) => oc.columns(["key", "bucket"]).doUpdateSet({ hits: sql`rate_limit_hits.hits + 1` }))
      .execute();
    taken.push(budget.key);
    const over = await overBudget(db, budget, now);
    if (over) {
      await release();
      throw new TooManyRequests(over.budget.message, over.retryAfter);
    }
  }
  // Old buckets are only ever read to be ignored; sweep them now and then.
  if (Math.random() < 0.02) await db.deleteFrom("rate_limit_hits").where("bucket", "<", new Date(now.getTime() - 24 * 60 * MINUTE)).execute();
  return release;
}

const bucketOf = (now: Date) => new Date(Math.floor(now.getTime() / MINUTE) * MINUTE);

/**
 * The budget if it has more than `max` hits in its window, with the seconds until its oldest
 * counted buckets age out far enough; null while it has room.
 */
async function overBudget(db: Db, budget: Budget, now: Date) {
  const buckets = await db
    .selectFrom("rate_limit_hits")
    .select(["bucket", "hits"])
    .where("key", "=", budget.key)
    .where("bucket", ">", new Date(now.getTime() - budget.windowMinutes * MINUTE))
    .orderBy("bucket")
    .execute();
  let total = buckets.reduce((sum, b) => sum + b.hits, 0);
  for (const b of buckets) {
    if (total <= budget.max) break;
    total -= b.hits;
    if (total <= budget.max) {
      const freeAt = b.bucket.getTime() + budget.windowMinutes * MINUTE;
      return { budget, retryAfter: Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000)) };
    }
  }
  return null;
}

async function releaseHits(db: Db, keys: string[], bucket: Date): Promise<void> {
  for (const key of keys) {
    const updated = await db
      .updateTable("rate_limit_hits")
      .set({ hits: sql`hits - 1` })
      .where("key", "=", key)
      .where("bucket", "=", bucket)
      .where("hits", ">", 1)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      await db.deleteFrom("rate_limit_hits").where("key", "=", key).where("bucket", "=", bucket).where("hits", "=", 1).execute();
    }
  }
}
