import { sql } from "kysely";
import type { Db } from "../db/client.js";
import { TooManyRequests } from "./errors.js";

export interface Limit {
  max: number;
  windowMinutes: number;
}

const MINUTE = 60_000;

/**
 * A sliding window in one-minute buckets kept in Postgres, so every app instance sees the same
 * counts. Throws TooManyRequests with the seconds until the oldest counted bucket ages out.
 */
export async function assertUnderLimit(db: Db, keys: string[], limit: Limit, message: string, now = new Date()): Promise<void> {
  const retryAfter = await secondsUntilUnder(db, keys, limit, limit.max - 1, now);
  if (retryAfter > 0) throw new TooManyRequests(message, retryAfter);
}

/**
 * Seconds until every key has at most `allowed` hits in the window (0 if it already has): the
 * time for the oldest counted buckets to age out.
 */
async function secondsUntilUnder(db: Db, keys: string[], limit: Limit, allowed: number, now: Date): Promise<number> {
  const since = new Date(now.getTime() - limit.windowMinutes * MINUTE);
  const rows = await db
    .selectFrom("rate_limit_hits")
    .select(["key", "bucket", "hits"])
    .where("key", "in", keys)
    .where("bucket", ">", since)
    .orderBy("bucket")
    .execute();
  let retryAfter = 0;
  for (const key of keys) {
    const buckets = rows.filter((r) => r.key === key);
    let total = buckets.reduce((sum, b) => sum + b.hits, 0);
    if (total <= allowed) continue;
    for (const b of buckets) {
      total -= b.hits;
      if (total <= allowed) {
        const freeAt = b.bucket.getTime() + limit.windowMinutes * MINUTE;
        retryAfter = Math.max(retryAfter, Math.ceil((freeAt - now.getTime()) / 1000));
        break;
      }
    }
  }
  return retryAfter;
}

export async function recordHits(db: Db, keys: string[], now = new Date()): Promise<void> {
  const bucket = new Date(Math.floor(now.getTime() / MINUTE) * MINUTE);
  await db
    .insertInto("rate_limit_hits")
    .values(keys.map((key) => ({ key, bucket, hits: 1 })))
    .onConflict((oc) => oc.columns(["key", "bucket"]).doUpdateSet({ hits: sql`rate_limit_hits.hits + 1` }))
    .execute();
  // Old buckets are only ever read to be ignored; sweep them now and then.
  if (Math.random() < 0.02) {
    await db.deleteFrom("rate_limit_hits").where("bucket", "<", new Date(now.getTime() - 24 * 60 * MINUTE)).execute();
  }
}

/**
 * Counts an attempt before the work it guards, so concurrent attempts cannot all slip under the
 * limit: the k-th attempt to commit sees at least k hits. Returns a release function for attempts
 * that turn out not to count (a correct password).
 */
export async function takeHit(db: Db, keys: string[], limit: Limit, message: string, now = new Date()): Promise<() => Promise<void>> {
  const bucket = new Date(Math.floor(now.getTime() / MINUTE) * MINUTE);
  await recordHits(db, keys, now);
  const release = () => releaseHits(db, keys, bucket);
  const retryAfter = await secondsUntilUnder(db, keys, limit, limit.max, now);
  if (retryAfter > 0) {
    await release();
    throw new TooManyRequests(message, retryAfter);
  }
  return release;
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
