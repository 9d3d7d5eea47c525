// The benchmark's data: accounts, links and keys through the domain functions, then N events and
// their visits from the demo traffic generator, loaded with COPY.
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type RawBuilder, sql } from "kysely";
import type { Db } from "../db/client.js";
import { createApiKey } from "../server/auth/api-keys.js";
import { ensureUser } from "../server/auth/users.js";
import { createGoal } from "../server/goals/goals.js";
import type { Filter } from "../server/schemas/filters.js";
import { createSegment } from "../server/segments/segments.js";
import { generateTraffic, prng } from "../server/seed/traffic.js";
import { createLink } from "../server/shared-links/links.js";
import { createSite } from "../server/sites/sites.js";
import { log, Progress } from "./progress.js";
import { copyLine, type Scratch } from "./scratch.js";

export const MOBILE: Filter[] = [{ dimension: "device", operator: "is", values: ["Mobile"] }];

export interface Fixtures {
  site: { id: string; domain: string; timezone: string };
  email: string;
  password: string;
  linkPassword: string;
  openSlug: string;
  segmentSlug: string;
  protectedSlug: string;
  apiKey: string;
}

/** The bench site's domain: events are sent for it, and the bare ceiling gets the same bodies. */
export const BENCH_DOMAIN = "bench.glimpse.local";

export async function createFixtures(db: Db): Promise<Fixtures> {
  const email = "bench@glimpse.local";
  const password = "bench-password-2026";
  const linkPassword = "bench-link-password";
  const user = await ensureUser(db, email, password);
  const { site } = await createSite(db, user.id, { domain: BENCH_DOMAIN, timezone: "Europe/Berlin" });
  const segment = await createSegment(db, site.id, user.id, { name: "Mobile visitors", filters: MOBILE });
  // The generated traffic has Signup events and docs pages: views filter on both kinds of goal.
  await createGoal(db, site.id, { kind: "event", eventName: "Signup" });
  await createGoal(db, site.id, { kind: "page", pagePath: "/docs*" });
  const actor = { userId: user.id, integration: false };
  const open = await createLink(db, site.id, actor, { name: "Open dashboard" });
  const segmented = await createLink(db, site.id, actor, { name: "Mobile only", segmentId: segment.id });
  const locked = await createLink(db, site.id, actor, { name: "Client A", password: linkPassword });
  const { key } = await createApiKey(db, user.id, { name: "bench" });
  return {
    site: { id: site.id, domain: site.domain, timezone: site.timezone },
    email,
    password,
    linkPassword,
    openSlug: open.slug,
    segmentSlug: segmented.slug,
    protectedSlug: locked.slug,
    apiKey: key,
  };
}

export interface LoadResult {
  events: number;
  visits: number;
  generateSeconds: number;
  copySeconds: number;
  indexSeconds: number;
  analyzeSeconds: number;
}

type Row = Record<string, unknown>;

/** Compiles without a connection (Kysely's documented dummy dialect): only the parameters are read. */
const compiler = new Kysely<unknown>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** The generator writes props for inserts (a jsonb expression); COPY takes their JSON text. */
function propsText(props: unknown): string | null {
  if (props === undefined || props === null) return null;
  const parameters = (props as RawBuilder<unknown>).compile(compiler).parameters;
  return String(parameters[0]);
}

/** A day's COPY lines of one kind, as buffers outside the JS heap, with their row count. */
interface Chunks {
  buffers: Buffer[];
  rows: number;
}

/**
 * About `target` events over the generator's 91 days ending at `now`: whole generator runs with
 * different seeds (about 60k events each), thinned by sampling whole visits, and written day by
 * day so the table's physical order is time order, as with real ingestion. Each run's lines are
 * packed into buffers per day as soon as it is generated, so 10M events need a few GB of buffers
 * and a small heap instead of a 14 GB heap of strings.
 */
export async function loadTraffic(scratch: Scratch, site: Fixtures["site"], target: number, now: Date): Promise<LoadResult> {
  let started = performance.now();
  const byDay = new Map<string, { events: Chunks; visits: Chunks }>();
  const columns: { events: string[]; visits: string[] } = { events: [], visits: [] };
  const keep = prng(7);
  const first = generateTraffic(site.id, site.timezone, now, 91, 2026);
  const runs = Math.max(1, Math.ceil(target / first.events.length));
  const share = Math.min(1, target / (runs * first.events.length));
  let events = 0;
  let visits = 0;
  for (let run = 0; run < runs; run++) {
    const traffic = run === 0 ? first : generateTraffic(site.id, site.timezone, now, 91, 2026 + run);
    // Every key any event has: a pageview has no props, and a first row without them left every
    // Signup's properties out of the bench's data.
    if (!columns.events.length) columns.events = [...new Set((traffic.events as Row[]).flatMap((e) => Object.keys(e)))];
    const eventsOf = new Map<unknown, Row[]>();
    for (const e of traffic.events as Row[]) {
      const list = eventsOf.get(e.session_id) ?? [];
      list.push(e);
      eventsOf.set(e.session_id, list);
    }
    const lines = new Map<string, { events: string[]; visits: string[] }>();
    for (const visit of traffic.visits as Row[]) {
      if (keep.next() >= share) continue;
      const day = String(visit.day);
      const bucket = lines.get(day) ?? { events: [], visits: [] };
      lines.set(day, bucket);
      if (!columns.visits.length) columns.visits = Object.keys(visit);
      bucket.visits.push(copyLine(columns.visits.map((c) => visit[c])));
      visits++;
      for (const e of eventsOf.get(visit.session_id) ?? []) {
        bucket.events.push(copyLine(columns.events.map((c) => (c === "props" ? propsText(e.props) : e[c]))));
        events++;
      }
    }
    for (const [day, bucket] of lines) {
      const chunks = byDay.get(day) ?? { events: { buffers: [], rows: 0 }, visits: { buffers: [], rows: 0 } };
      byDay.set(day, chunks);
      for (const kind of ["events", "visits"] as const) {
        chunks[kind].buffers.push(Buffer.from(bucket[kind].join("")));
        chunks[kind].rows += bucket[kind].length;
      }
    }
  }
  const generateSeconds = (performance.now() - started) / 1000;
  log(`  generated ${events.toLocaleString("en")} events in ${visits.toLocaleString("en")} visits (${generateSeconds.toFixed(1)} s)`);

  const indexes = await dropSecondaryIndexes(scratch.db);
  const days = [...byDay.keys()].sort();
  const progress = new Progress("  COPY", events + visits);
  function* chunks(kind: "events" | "visits") {
    for (const day of days) {
      yield* byDay.get(day)![kind].buffers;
      progress.tick(byDay.get(day)![kind].rows);
    }
  }
  await scratch.copy("visits", columns.visits, chunks("visits"));
  await scratch.copy("events", columns.events, chunks("events"));
  const copySeconds = progress.finish();
  byDay.clear();

  started = performance.now();
  for (const index of indexes) await sql.raw(index).execute(scratch.db);
  const indexSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await sql`analyze visits, events`.execute(scratch.db);
  const analyzeSeconds = (performance.now() - started) / 1000;
  log(`  COPY ${copySeconds.toFixed(1)} s, ${indexes.length} indexes ${indexSeconds.toFixed(1)} s, analyze ${analyzeSeconds.toFixed(1)} s`);
  return { events, visits, generateSeconds, copySeconds, indexSeconds, analyzeSeconds };
}

/**
 * Loading into a table without its secondary indexes and building them afterwards is several
 * times faster. Whatever indexes the migrations define today are recreated from their own
 * definitions; primary keys and unique constraints stay.
 */
async function dropSecondaryIndexes(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string; def: string }>`
    select i.indexname as name, i.indexdef as def from pg_indexes i
    where i.schemaname = current_schema() and i.tablename in ('events', 'visits')
      and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`.execute(db);
  for (const row of rows) await sql`drop index ${sql.ref(row.name)}`.execute(db);
  return rows.map((r) => r.def);
}
