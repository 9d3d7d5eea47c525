// Ingestion: POST /api/event as the tracker sends it, from many visitors on many pages, next to a
// bare node:http that answers 202 and does nothing else (the ceiling); then whether every accepted
// event reached the events table, and how long a new page takes to show on the dashboard.
import { sql } from "kysely";
import type { Db } from "../db/client.js";
import type { DashboardStats } from "../server/stats/types.js";
import { drive, type LoadFigures, measured, preflight, type Target } from "./load.js";
import { log } from "./progress.js";
import type { Fixtures } from "./seed.js";
import type { Running } from "./server.js";

export const STEADY_RATE = 1_000;

export interface IngestFigures {
  /** As fast as the server answers; its rps counts every answer, `eventsPerSecond` only the 2xx. */
  max: LoadFigures;
  eventsPerSecond: number;
  /** At STEADY_RATE events/s: the latency a normal busy site sees. */
  steady: LoadFigures;
  steadyRate: number;
  /** 2xx answers over the checks, the warm-up and both loads. */
  accepted: number;
  /**
   * Sent but not answered when autocannon stopped (at most one per connection and load): the
   * server may still take them, so written lies between accepted and accepted + this.
   */
  unanswered: number;
  /** New rows in events over the same time. */
  written: number;
  /** sql: count(*) over a connection of the bench's own; dashboard: today's pageviews (PGlite). */
  countedBy: "sql" | "dashboard";
  /** From the end of the full-speed load until the count stopped growing (every accepted event written, or not: see written). */
  drainSeconds: number;
  /** From sending one pageview to a new page until today's top pages showed it; null: not within 30 s. */
  dashboardSeconds: number | null;
  /** From the same send until today's pageviews (no filter) counted it; null: not within 30 s. */
  dashboardTotalsSeconds: number | null;
  /** How the traffic was made: distinct browsers, and events per visitor (each visitor has an address of its own). */
  browsers: number;
  pagesPerVisit: number;
}

// Browsers as they are, desktop and mobile: isbot lets every one of them through (bots are
// dropped before the buffer and would make accepted and written differ).
const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Vivaldi/7.0",
  "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
  "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 14; SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 14; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
  "Mozilla/5.0 (Linux; Android 13; 2201116SG) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 12; moto g(60)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Linux; Android 14; Pixel 7a) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0",
];

// First octets of networks in ordinary use on several continents (none private, reserved or set
// aside for documentation), so visitors get countries from the shipped country database.
const FIRST_OCTETS = [81, 85, 88, 91, 95, 109, 176, 185, 193, 212, 217, 24, 50, 67, 73, 98, 177, 186, 200, 201, 1, 14, 27, 36, 49, 58, 60, 101, 110, 112, 114, 121, 125, 41, 102, 105, 197];
const SECTIONS = ["", "blog", "docs", "pricing", "guides", "changelog", "careers", "product", "help"];
const REFERRERS = ["", "https://www.google.com/", "", "https://duckduckgo.com/", "https://www.bing.com/", "https://news.ycombinator.com/", "https://t.co/", ""];
/** Pageviews per visitor: later ones join the visit the first one opened, as on a real site. */
const PAGES_PER_VISIT = 3;

/** A distinct public-looking address per visitor; limits count by address, so none comes near them. */
function visitorAddress(visitor: number): string {
  const rest = Math.floor(visitor / FIRST_OCTETS.length);
  return `${FIRST_OCTETS[visitor % FIRST_OCTETS.length]}.${Math.floor(rest / (254 * 256)) % 256}.${Math.floor(rest / 254) % 256}.${(rest % 254) + 1}`;
}

/** About 8,000 pages: every section, many articles each. */
const pagePath = (i: number) => {
  const section = SECTIONS[i % SECTIONS.length];
  return section ? `/${section}/${(i * 7919) % 1000}` : i % 2 ? "/" : `/landing/${i % 100}`;
};

let sent = 0;

/** The next tracker request: a new visitor every PAGES_PER_VISIT events, a referrer on its first page. */
function nextEvent(domain: string, path?: string): { headers: Record<string, string>; body: string } {
  const i = sent++;
  const visitor = Math.floor(i / PAGES_PER_VISIT);
  const first = i % PAGES_PER_VISIT === 0;
  const referrer = first ? REFERRERS[visitor % REFERRERS.length] : `https://${domain}${pagePath(i - 1)}`;
  return {
    headers: { "User-Agent": USER_AGENTS[visitor % USER_AGENTS.length]!, "X-Forwarded-For": visitorAddress(visitor) },
    body: JSON.stringify({ name: "pageview", url: `https://${domain}${path ?? pagePath(i)}`, domain, referrer }),
  };
}

/**
 * autocannon's requests, each another visitor's or page's, as the tracker sends them (text/plain:
 * no CORS preflight). autocannon builds each request just before writing it, so `sent` counts
 * what went out.
 */
function eventTarget(name: string, domain: string, rate?: number): Target & { sent: number } {
  const first = nextEvent(domain);
  const target = {
    name,
    path: "/api/event",
    method: "POST" as const,
    headers: { "Content-Type": "text/plain", ...first.headers },
    body: first.body,
    expect: 202,
    rate,
    sent: 0,
    perRequest: () => {
      target.sent++;
      return nextEvent(domain);
    },
  };
  return target;
}

const warmSeconds = (seconds: number) => Math.max(1, Math.min(3, Math.round(seconds / 3)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (v: number) => Math.round(v * 10) / 10;
const ok = (f: Pick<LoadFigures, "statuses">) => Object.entries(f.statuses).reduce((n, [code, count]) => (code.startsWith("2") ? n + count : n), 0);

/** The ceiling: the same requests (bodies, headers, connections) to a server that only answers 202. */
export async function runBarePost(server: Running, domain: string, seconds: number): Promise<LoadFigures> {
  const target = eventTarget("bare node:http, POST → 202", domain);
  await preflight(server, target);
  await drive(server, target, warmSeconds(seconds));
  return measured(server, target, seconds);
}

/** One event through fetch; throws unless it was accepted (a 202 for a bot says accepted: false). */
async function sendOne(url: string, event: { headers: Record<string, string>; body: string }): Promise<void> {
  const response = await fetch(`${url}/api/event`, { method: "POST", headers: { "Content-Type": "text/plain", ...event.headers }, body: event.body });
  const text = await response.text();
  if (response.status !== 202 || !/"accepted":true/.test(text)) throw new Error(`event not accepted: HTTP ${response.status} ${text.slice(0, 200)} (${event.headers["User-Agent"]})`);
}

async function dashboard(url: string, apiKey: string, input: unknown, signal?: AbortSignal): Promise<DashboardStats> {
  const response = await fetch(`${url}/api/trpc/stats.dashboard?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: { Authorization: `Bearer ${apiKey}` }, signal });
  const text = await response.text();
  if (!response.ok) throw new Error(`stats.dashboard: HTTP ${response.status} ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { result: { data: DashboardStats } }).result.data;
}

export type EventCounter = { by: IngestFigures["countedBy"]; count(): Promise<number> };

/**
 * The site's events as the database holds them: count(*) over the bench's own connection where
 * it may have one (Postgres). PGlite is the server's alone while it runs, so there the count is
 * today's pageviews through the dashboard (every bench event is one), cached up to 2 s.
 */
export function eventCounter(observer: Db | null, server: Running, fx: Fixtures): EventCounter {
  if (observer) {
    return {
      by: "sql",
      count: async () => Number((await sql<{ n: string }>`select count(*) as n from events where site_id = ${fx.site.id}`.execute(observer)).rows[0]?.n ?? 0),
    };
  }
  return { by: "dashboard", count: async () => (await dashboard(server.url, fx.apiKey, { site: fx.site.domain, period: { key: "today" } })).totals.pageviews };
}

/**
 * Polls until `most` new rows are there, or the count has stopped growing for longer than a flush
 * (plus the dashboard's cache where it counts), at most 10 s. Returns the rows, and the seconds
 * from `since` until the count reached them.
 */
export async function waitForRows(counter: EventCounter, base: number, most: number, since: number): Promise<{ written: number; seconds: number }> {
  const quietMs = counter.by === "sql" ? 2_000 : 4_000;
  let last = -1;
  let changed = performance.now();
  for (;;) {
    const written = (await counter.count()) - base;
    const now = performance.now();
    if (written !== last) [last, changed] = [written, now];
    if (written >= most || now - changed > quietMs || now - since > 10_000) return { written, seconds: round1((changed - since) / 1000) };
    await sleep(counter.by === "sql" ? 100 : 250);
  }
}

const PROBE_LIMIT_MS = 30_000;

/**
 * One pageview to a page nobody has seen, with no other events coming, then today's dashboard
 * asked every 100 ms: first without filters until its pageviews count it, then filtered to that
 * page until its top pages list it (among thousands of bench pages, one pageview is never in the
 * top rows of the whole site). Each wait gives up PROBE_LIMIT_MS after the send, a slow view too.
 */
async function timeToDashboard(server: Running, fx: Fixtures): Promise<{ totals: number | null; page: number | null }> {
  const today = { site: fx.site.domain, period: { key: "today" } };
  const path = `/bench/probe-${Date.now().toString(36)}`;
  const filtered = { ...today, filters: [{ dimension: "page", operator: "is", values: [path] }] };
  const before = (await dashboard(server.url, fx.apiKey, today)).totals.pageviews;
  const began = performance.now();
  await sendOne(server.url, nextEvent(fx.site.domain, path));
  const until = async (input: unknown, shows: (stats: DashboardStats) => boolean): Promise<number | null> => {
    try {
      while (performance.now() - began < PROBE_LIMIT_MS) {
        const left = Math.max(1, Math.ceil(PROBE_LIMIT_MS - (performance.now() - began)));
        if (shows(await dashboard(server.url, fx.apiKey, input, AbortSignal.timeout(left)))) return round1((performance.now() - began) / 1000);
        await sleep(100);
      }
    } catch (error) {
      if (!(error instanceof DOMException && error.name === "TimeoutError")) throw error;
    }
    return null;
  };
  const totals = await until(today, (stats) => stats.totals.pageviews > before);
  const page = await until(filtered, (stats) => stats.breakdowns.some((b) => b.dimension === "page" && b.rows.some((r) => r.value === path)));
  return { totals, page };
}

/** A load of events: its figures, and its 2xx answers and unanswered requests added to the tally. */
async function eventLoad(server: Running, target: Target & { sent: number }, seconds: number, tally: { accepted: number; unanswered: number }, measure = true): Promise<LoadFigures> {
  const figures = measure ? await measured(server, target, seconds) : { ...(await drive(server, target, seconds)), rssPeakMb: 0 };
  tally.accepted += ok(figures);
  tally.unanswered += Math.max(0, target.sent - figures.requests);
  return figures;
}

/**
 * Checks that every browser in the list is taken for one, warms up, then full speed and a fixed
 * STEADY_RATE, each for `seconds`; after each, waits for its events to be written. The dashboard
 * probe comes last, with no load running, and is left out of the count (a view that takes
 * minutes would hold up the counting through the dashboard).
 */
export async function runIngest(server: Running, fx: Fixtures, counter: EventCounter, seconds: number): Promise<IngestFigures> {
  const domain = fx.site.domain;
  const base = await counter.count();
  for (const agent of USER_AGENTS) {
    const event = nextEvent(domain);
    await sendOne(server.url, { ...event, headers: { ...event.headers, "User-Agent": agent } });
  }
  const tally = { accepted: USER_AGENTS.length, unanswered: 0 };
  await eventLoad(server, eventTarget("warm-up", domain), warmSeconds(seconds), tally, false);

  const max = await eventLoad(server, eventTarget("Glimpse POST /api/event, full speed", domain), seconds, tally);
  const loadEnded = performance.now();
  const eventsPerSecond = round1(ok(max) / max.seconds);
  log(`  full speed: ${eventsPerSecond} events/s, p50 ${max.p50} ms, p95 ${max.p95} ms, p99 ${max.p99} ms, non-2xx ${max.bad} ${JSON.stringify(max.statuses)}, RSS ${max.rssPeakMb} MB`);
  const drained = await waitForRows(counter, base, tally.accepted + tally.unanswered, loadEnded);
  log(`  written ${drained.written} of ${tally.accepted} accepted (+${tally.unanswered} unanswered when the load stopped; ${counter.by}), the last ${drained.seconds} s after the load`);

  const steady = await eventLoad(server, eventTarget(`Glimpse POST /api/event, ${STEADY_RATE.toLocaleString("en")}/s`, domain, STEADY_RATE), seconds, tally);
  log(`  at ${STEADY_RATE}/s: ${steady.rps} req/s, p50 ${steady.p50} ms, p95 ${steady.p95} ms, p99 ${steady.p99} ms, non-2xx ${steady.bad}`);
  const { accepted, unanswered } = tally;
  const { written } = await waitForRows(counter, base, accepted + unanswered, performance.now());
  if (written < accepted || written > accepted + unanswered) log(`  WARNING: ${accepted} events accepted (+${unanswered} unanswered), ${written} written`);

  const probe = await timeToDashboard(server, fx);
  const after = (s: number | null) => `${s ?? `more than ${PROBE_LIMIT_MS / 1000}`} s`;
  log(`  one more pageview: in today's pageviews after ${after(probe.totals)}, its page in today's top pages after ${after(probe.page)}`);
  return {
    max,
    eventsPerSecond,
    steady,
    steadyRate: STEADY_RATE,
    accepted,
    unanswered,
    written,
    countedBy: counter.by,
    drainSeconds: drained.seconds,
    dashboardSeconds: probe.page,
    dashboardTotalsSeconds: probe.totals,
    browsers: USER_AGENTS.length,
    pagesPerVisit: PAGES_PER_VISIT,
  };
}
