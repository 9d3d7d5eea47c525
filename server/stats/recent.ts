/**
 * A few seconds of memory in front of the dashboard: a shared link that many people open at once
 * (or one person clicking around) is computed once per key and interval, not once per request.
 * Access checks happen before this, so a deleted link or a changed password still takes effect at
 * once; the segment's filters are part of the key, so an edited segment shows at once as well,
 * and so are the site's goals, imports and stats version (./dashboard.ts).
 * Only the figures may be up to TTL_MS old; those of a period that includes today (where new
 * events land) only LIVE_TTL_MS, so an event shows on a dashboard within 5 s of being sent
 * (flush interval 1 s, this, and the share-page cache's 1 s).
 */
export const TTL_MS = 10_000;
export const LIVE_TTL_MS = 2_000;
const MAX_ENTRIES = 200;

interface Entry {
  at: number;
  ttlMs: number;
  value: Promise<unknown>;
}

/** Concurrent callers with the same key share one computation; failures are not remembered. */
export class RecentViews {
  private readonly entries = new Map<string, Entry>();

  get<T>(key: string, compute: () => Promise<T>, now = Date.now(), ttlMs = TTL_MS): Promise<T> {
    const entries = this.entries;
    const hit = entries.get(key);
    if (hit && now - hit.at < hit.ttlMs) {
      entries.delete(key);
      entries.set(key, hit);
      return hit.value as Promise<T>;
    }
    const value = compute();
    entries.set(key, { at: now, ttlMs, value });
    value.catch(() => entries.delete(key));
    while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
    return value;
  }
}
