import { sql } from "kysely";
import type { Db } from "../../db/client.js";

/**
 * View counts are bumped in memory and written in one statement per link every few seconds, so a
 * popular dashboard does not turn every page view into a row lock on its link. Nothing about the
 * visitor is kept: just a number and a time.
 */
const FLUSH_MS = 5_000;

interface Pending {
  count: number;
  last: Date;
}

const buffers = new WeakMap<Db, Map<string, Pending>>();
let timer: NodeJS.Timeout | undefined;
const dbs = new Set<Db>();

export function recordView(db: Db, linkId: string, now = new Date()): void {
  let buffer = buffers.get(db);
  if (!buffer) {
    buffer = new Map();
    buffers.set(db, buffer);
    dbs.add(db);
  }
  const pending = buffer.get(linkId) ?? { count: 0, last: now };
  pending.count += 1;
  if (now > pending.last) pending.last = now;
  buffer.set(linkId, pending);
  timer ??= setInterval(() => void flushAllViews(), FLUSH_MS).unref();
}

export async function flushViews(db: Db): Promise<void> {
  const buffer = buffers.get(db);
  if (!buffer || buffer.size === 0) return;
  const entries = [...buffer.entries()];
  buffer.clear();
  for (const [id, { count, last }] of entries) {
    // A link deleted in the meantime simply matches no row.
    await db
      .updateTable("shared_links")
      .set({ view_count: sql`view_count + ${count}`, last_viewed_at: sql`greatest(last_viewed_at, ${last})` })
      .where("id", "=", id)
      .execute();
  }
}

export async function flushAllViews(): Promise<void> {
  for (const db of dbs) await flushViews(db).catch(() => {});
}
