import { addDays, settledDay } from "../dates.js";
import { filterKey } from "./cache.js";
import { addSums, mergeFigures, type RangeFigures, type RangeQuery, type StatsEngine, type Sums } from "./engine.js";
import { Memo } from "./memo.js";

const MEMO_BYTES = 16 * 1024 * 1024;

/** About 150 bytes of heap per value row (a Map entry with its key and sums). */
const figuresSize = (figures: RangeFigures) => 1000 + 100 * figures.days.length + 150 * [...figures.groups.values()].reduce((n, values) => n + values.size, 0);

interface Memos {
  figures: Memo<RangeFigures>;
  totals: Memo<Sums>;
}

const memos = (share: number): Memos => ({ figures: new Memo(MEMO_BYTES * share, figuresSize), totals: new Memo((MEMO_BYTES / 16) * share, () => 200) });

/**
 * Any engine, with its figures of finished days kept: they do not change until the site's stats
 * version moves (a rewrite of past days; the query carries the version it began with), and every figure of a range is a sum of its days', so
 * a view is its finished days (kept) plus the days that may still change (computed each time).
 * Views with filters of the viewer's own are kept apart from the bounded ones (see
 * `RangeQuery.keep`), in half the memory, so made-up filters push out only each other.
 */
export function keepFinishedDays(engine: StatsEngine): StatsEngine {
  const kept = { bounded: memos(1), viewer: memos(1 / 2) };

  function wrap(inner: StatsEngine): StatsEngine {
    /** The query's finished days and the rest, or null when nothing of it may be kept. */
    function split(query: RangeQuery): { finished: RangeQuery; rest: RangeQuery | null } | null {
      const settled = settledDay(query.site.timezone, query.now);
      if (query.keep === "none" || query.from >= settled) return null;
      const last = addDays(settled, -1);
      return { finished: { ...query, to: query.to < settled ? query.to : last }, rest: query.to < settled ? null : { ...query, from: settled } };
    }

    async function keep<T>(kind: "figures" | "totals", query: RangeQuery, compute: (query: RangeQuery) => Promise<T>, merge: (a: T, b: T) => T): Promise<T> {
      const parts = split(query);
      if (!parts) return compute(query);
      const { finished, rest } = parts;
      const key = [query.site.id, query.version, finished.from, finished.to, finished.hours, filterKey(finished.filters, finished.site.timezone, finished.goals)].join("\n");
      const memo = kept[finished.keep === "bounded" ? "bounded" : "viewer"][kind] as unknown as Memo<T>;
      const earlier = memo.get(key, () => compute(finished));
      if (!rest) return earlier;
      const [a, b] = await Promise.all([earlier, compute(rest)]);
      return merge(a, b);
    }

    return {
      range: (query) => keep("figures", query, (q) => inner.range(q), mergeFigures),
      totals: (query) => keep("totals", query, (q) => inner.totals(q), addSums),
      currentVisitors: (query, since) => inner.currentVisitors(query, since),
      goalProperties: (query, goal) => inner.goalProperties(query, goal),
      madeUp: (work) => inner.madeUp((bounded) => work(bounded === inner ? self : wrap(bounded))),
      ...(inner.reader && { reader: inner.reader }),
    };
  }

  const self = wrap(engine);
  return self;
}
