import { createHash, randomBytes, randomInt } from "node:crypto";
import * as crypto from "node:crypto";
import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { json } from "../../db/json.js";
import { addDays } from "../dates.js";

/**
 * One random salt per calendar day, shared by all sites (the site id is part of the hash). Created
 * on demand with ON CONFLICT DO NOTHING, so concurrent app instances settle on the same salt.
 * A day is still current somewhere on Earth for about two days, so salts are kept that long and
 * then deleted: after that nobody, us included, can link a visitor to the next day's visitor.
 */
const KEEP_DAYS = 2;

/** The salts of the last few days this process has read, so an event reads none. */
export class DailySalts {
  private readonly known = new Map<string, string>();

  constructor(private readonly db: Db) {}

  async of(day: string): Promise<string> {
    const hit = this.known.get(day);
    if (hit) return hit;
    const salt = await readOrCreateSalt(this.db, day);
    if (this.known.size > 4) this.known.clear();
    this.known.set(day, salt);
    return salt;
  }
}

async function readOrCreateSalt(db: Db, day: string): Promise<string> {
  const created = await db
    .insertInto("visitor_salts")
    .values({ day, salt: randomBytes(32).toString("hex") })
    .onConflict((oc) => oc.column("day").doNothing())
    .returning("day")
    .executeTakeFirst();
  if (created) {
    await db.deleteFrom("visitor_salts").where("day", "<", addDays(day, -KEEP_DAYS)).execute();
    await refreshStatistics(db);
  }
  const row = await db.selectFrom("visitor_salts").select("salt").where("day", "=", day).executeTakeFirstOrThrow();
  return row.salt;
}

const MAX_SAFE = (1n << 53n) - 1n;

// The one-shot hash (Node 20.12 and later) makes no Hash object per event.
const sha256: (text: string) => Buffer =
  typeof crypto.hash === "function" ? (text) => crypto.hash("sha256", text, "buffer") : (text) => createHash("sha256").update(text).digest();

/**
 * 53 bits of SHA-256, not 64: both drivers read bigint columns as JS numbers, and an id must
 * survive that round trip exactly. Collisions stay negligible (about 1 in 10^5 for a million
 * visitors of one site on one day).
 */
export function visitorId(salt: string, siteId: string, ip: string, userAgent: string): number {
  const digest = sha256(`${salt}\n${siteId}\n${ip}\n${userAgent}`);
  return Number(digest.readBigUInt64BE(0) & MAX_SAFE);
}

/** 53 random bits from crypto.randomInt, which draws from a cached buffer of the CSPRNG (a system call per event was a hot spot). */
export function newSessionId(): number {
  return randomInt(2 ** 21) * 2 ** 32 + randomInt(2 ** 32);
}

/**
 * Visitors are locked in 256 buckets, under a key of their own (two-part advisory keys, so no
 * other lock of the app can collide): a batch of thousands of visitors then takes at most 256
 * locks, where one lock per visitor would run out of Postgres's shared lock table
 * (max_locks_per_transaction). Two visitors sharing a bucket only wait for each other.
 */
const LOCK_SPACE = 0x676c; // "gl"
const LOCK_BUCKETS = 256;

export function visitorLockBucket(id: number): number {
  return id % LOCK_BUCKETS;
}

/**
 * Serialises visitors' events so two concurrent writers cannot both open a visit: a batch's
 * visitors are locked bucket by bucket in ascending order, so two writers (two instances, or two
 * batches) always queue in the same order and cannot deadlock.
 */
export async function lockVisitors(db: Db, ids: readonly number[]): Promise<void> {
  const buckets = [...new Set(ids.map(visitorLockBucket))].sort((a, b) => a - b);
  await sql`select pg_advisory_xact_lock(${LOCK_SPACE}, value::int) from json_array_elements_text(${json(buckets)})`.execute(db);
}

/**
 * PGlite runs no autovacuum, so its planner never learns how big visits and events are, and
 * without statistics it picks nested loops that turn a 50 ms page-filter query into minutes.
 * Once a day (when a new salt appears) and after bulk loads is enough: Postgres scales the
 * estimates with table size in between. On a server with autovacuum this is merely redundant.
 */
export async function refreshStatistics(db: Db): Promise<void> {
  await sql`analyze visits, events`.execute(db);
}
