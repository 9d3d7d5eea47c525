import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { json } from "../../db/json.js";

/**
 * Views are counted in memory and written every few seconds (one statement per table, not per
 * view), so a popular dashboard does not turn every page view into a row lock on its link. Nothing
 * about the visitor is kept but a daily-salted hash, for counting unique viewers.
 */
const FLUSH_MS = 5_000;

export interface View {
  linkId: string;
  /** The site-local day of the view. */
  day: string;
  /** The viewer's hash for that day (share/viewer.ts); null when it could not be made. */
  viewer: number | null;
}

interface Pending {
  linkId: string;
  day: string;
  count: number;
  last: Date;
  viewers: Set<number>;
}

/** This process's views of a database's links, held until the next write. */
export class ViewCounter {
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Db) {}

  record(view: View, now: Date): void {
    const key = `${view.linkId}|${view.day}`;
    const pending = this.pending.get(key) ?? { linkId: view.linkId, day: view.day, count: 0, last: now, viewers: new Set<number>() };
    pending.count += 1;
    if (now > pending.last) pending.last = now;
    if (view.viewer !== null) pending.viewers.add(view.viewer);
    this.pending.set(key, pending);
    this.timer ??= setInterval(() => void this.flush().catch(() => {}), FLUSH_MS).unref();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const entries = [...this.pending.values()];
    this.pending.clear();
    await writeViews(this.db, entries);
  }

  /** For shutdown: writes what is held and stops the timer. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch(() => {});
  }
}

async function writeViews(db: Db, entries: Pending[]): Promise<void> {
  // Links deleted in the meantime match no row, and their days and viewers are skipped by the joins.
  const days = entries.map(({ linkId, day, count, last }) => ({ link_id: linkId, day, views: count, last: last.toISOString() }));
  const viewers = entries.flatMap(({ linkId, day, viewers }) => [...viewers].map((viewer) => ({ link_id: linkId, day, viewer })));
  await sql`
    update shared_links l set view_count = view_count + d.views, last_viewed_at = greatest(last_viewed_at, d.last)
    from (select link_id, sum(views)::int as views, max(last::timestamptz) as last
          from json_to_recordset(${json(days)}) as x(link_id uuid, day date, views int, last text) group by link_id) d
    where l.id = d.link_id`.execute(db);
  await sql`
    insert into link_usage_daily (link_id, day, views)
    select x.link_id, x.day, x.views from json_to_recordset(${json(days)}) as x(link_id uuid, day date, views int)
    join shared_links l on l.id = x.link_id
    on conflict (link_id, day) do update set views = link_usage_daily.views + excluded.views`.execute(db);
  if (viewers.length > 0) {
    await sql`
      insert into link_viewers (link_id, day, viewer)
      select x.link_id, x.day, x.viewer from json_to_recordset(${json(viewers)}) as x(link_id uuid, day date, viewer bigint)
      join shared_links l on l.id = x.link_id
      on conflict do nothing`.execute(db);
  }
}
