import { type RawBuilder, sql } from "kysely";
import type { Db } from "../../db/client.js";

/**
 * Tables a rejected call may legitimately write, left out of the comparison:
 * - `rate_limit_hits`: failed logins and unlocks are counted on purpose (that is the rate limit);
 * - `sessions`: a session used in the second half of its life is extended on every call;
 * - `visitor_salts`: ingestion creates the day's salt before it looks at the site;
 * - `link_usage_daily`, `link_viewers`: views are flushed from memory by a timer, at any moment.
 * (`link_failed_unlocks` is compared: only a wrong password to `share.unlock` may change it.)
 */
const SKIPPED_TABLES = new Set(["rate_limit_hits", "sessions", "visitor_salts", "link_usage_daily", "link_viewers"]);

/**
 * Columns that change on purpose outside the call being checked. Those in the "" group are not
 * compared at all; any other group is its own entry, which a property may allow to change:
 * - `shared_links.view_count`/`last_viewed_at` are flushed from memory by a timer, at any moment;
 * - `api_keys.last_used_at` is stamped (at most once a minute) when a key authenticates, even if
 *   the call is then refused;
 * - `shared_links` unlock counters: a wrong password is counted on the link (SPEC §3), so
 *   `share.unlock` may change the "shared_links.unlock_counters" entry when it answers 401.
 */
const SPLIT_COLUMNS: Record<string, Record<string, string[]>> = {
  shared_links: { "shared_links.unlock_counters": ["failed_unlock_count", "last_failed_unlock_at"], "": ["view_count", "last_viewed_at"] },
  api_keys: { "": ["last_used_at"] },
};

/** Row count and an md5 of the sorted rows, per table (and per split-off column group). */
export type Snapshot = Map<string, string>;

const plans = new WeakMap<Db, Promise<RawBuilder<unknown>>>();

async function planFor(db: Db): Promise<RawBuilder<unknown>> {
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = 'public' order by table_name, ordinal_position`.execute(db);
  const tables = new Map<string, string[]>();
  for (const row of rows) {
    if (SKIPPED_TABLES.has(row.table_name)) continue;
    tables.set(row.table_name, [...(tables.get(row.table_name) ?? []), row.column_name]);
  }
  const parts: string[] = [];
  const part = (name: string, table: string, columns: string[]) => {
    const row = `row(${columns.map((c) => `"${c}"`).join(", ")})::text`;
    parts.push(
      `select '${name}' as name, count(*)::int8 || ':' || coalesce(md5(string_agg(${row}, E'\\n' order by ${row})), '') as sum from "${table}"`,
    );
  };
  for (const [table, columns] of tables) {
    const groups = SPLIT_COLUMNS[table] ?? {};
    const split = new Set(Object.values(groups).flat());
    part(table, table, columns.filter((c) => !split.has(c)));
    for (const [name, group] of Object.entries(groups)) if (name) part(name, table, ["id", ...group]);
  }
  return sql.raw(parts.join("\nunion all\n"));
}

export async function snapshot(db: Db): Promise<Snapshot> {
  let plan = plans.get(db);
  if (!plan) plans.set(db, (plan = planFor(db)));
  const { rows } = await (await plan).execute(db);
  return new Map((rows as { name: string; sum: string }[]).map((r) => [r.name, r.sum]));
}

/**
 * The next transaction id Postgres will hand out. Every write takes one and reads never do, so if
 * it has not moved since a snapshot, nothing was written and the snapshot still holds. It is
 * shared by the whole server, so on a busy Postgres it moves anyway; then a full snapshot is taken.
 */
export async function writeMark(db: Db): Promise<string> {
  const { rows } = await sql<{ mark: string }>`select pg_snapshot_xmax(pg_current_snapshot())::text as mark`.execute(db);
  return rows[0]!.mark;
}

/** Names of the entries that differ, minus the ones the call was allowed to change. */
export function changed(before: Snapshot, after: Snapshot, allowed: readonly string[] = []): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => !allowed.includes(name) && before.get(name) !== after.get(name));
}
