// HTTP load with autocannon: every scenario at 10 connections for the same duration, with exact
// latency percentiles from the per-response times and the server's peak RSS while it ran.
import autocannon from "autocannon";
import { log } from "./progress.js";
import type { Fixtures } from "./seed.js";
import type { Running } from "./server.js";

export interface Target {
  name: string;
  path: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** The status a correct answer has; checked once before the load. */
  expect: number;
  /** Each request from an address of its own (recipients), instead of all from the bench's one. */
  manyClients?: boolean;
  /** Rewrites each request before it goes out (events from many visitors, each to its own page). */
  perRequest?: () => { headers?: Record<string, string>; body?: string };
  /** Requests per second over all connections; unset, as fast as the server answers. */
  rate?: number;
}

let addressCounter = 0;
/** An address for one simulated client; the server trusts the bench as its one proxy hop. */
export const freshAddress = () => `10.${(addressCounter >> 16) & 255}.${(addressCounter >> 8) & 255}.${addressCounter++ & 255}`;

export interface LoadFigures {
  scenario: string;
  p50: number;
  p95: number;
  p99: number;
  rps: number;
  requests: number;
  /** How long the load ran, s (autocannon's own figure). */
  seconds: number;
  /** Answers outside 2xx/3xx, plus socket errors and timeouts. */
  bad: number;
  statuses: Record<string, number>;
  kbPerResponse: number;
  rssPeakMb: number;
}

export interface FloodFigures {
  open: LoadFigures;
  flood: LoadFigures;
  /** open p95 under flood / open p95 alone. */
  p95Ratio: number;
}

export const CONNECTIONS = 10;

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[rank]! * 10) / 10;
}

export async function drive(server: Running, target: Target, seconds: number): Promise<Omit<LoadFigures, "rssPeakMb">> {
  const times: number[] = [];
  const instance = autocannon({
    url: `${server.url}${target.path}`,
    method: target.method ?? "GET",
    headers: target.headers,
    body: target.body,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 30,
    ...(target.rate && { overallRate: target.rate }),
    ...(target.manyClients && {
      requests: [{ setupRequest: (req: { headers?: Record<string, string> }) => ({ ...req, headers: { ...req.headers, "X-Forwarded-For": freshAddress() } }) }],
    }),
    ...(target.perRequest && {
      requests: [
        {
          setupRequest: (req: { headers?: Record<string, string>; body?: string }) => {
            const next = target.perRequest!();
            return { ...req, headers: { ...req.headers, ...next.headers }, body: next.body ?? req.body };
          },
        },
      ],
    }),
  });
  instance.on("response", (_client, _status, _bytes, responseTime) => times.push(responseTime));
  const result = await instance;
  times.sort((a, b) => a - b);
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const bad = Object.entries(statuses).reduce((n, [code, count]) => (Number(code) >= 200 && Number(code) < 400 ? n : n + count), 0);
  return {
    scenario: target.name,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    rps: Math.round((times.length / result.duration) * 10) / 10,
    requests: times.length,
    seconds: result.duration,
    bad: bad + result.errors + result.timeouts,
    statuses,
    kbPerResponse: times.length ? Math.round((result.throughput.total / times.length / 1024) * 10) / 10 : 0,
  };
}

/** One request, to prove the scenario measures what it claims (a 302 to /login is not a page). */
export async function preflight(server: Running, target: Target): Promise<void> {
  const response = await fetch(`${server.url}${target.path}`, {
    method: target.method ?? "GET",
    headers: target.headers,
    body: target.body,
    redirect: "manual",
  });
  await response.arrayBuffer();
  if (response.status !== target.expect) {
    throw new Error(`${target.name}: expected HTTP ${target.expect}, got ${response.status} for ${target.method ?? "GET"} ${target.path}`);
  }
}

export function targets(fx: Fixtures, cookie: string, origin: string) {
  const form = { "Content-Type": "application/x-www-form-urlencoded", Origin: origin };
  const input = encodeURIComponent(JSON.stringify({ site: fx.site.domain }));
  return {
    share: { name: "share page, open link, 30d", path: `/share/${fx.openSlug}?period=30d`, expect: 200 },
    segment: { name: "share page, segment link, 30d", path: `/share/${fx.segmentSlug}?period=30d`, expect: 200 },
    settings: {
      name: "settings visibility (logged in)",
      path: `/sites/${fx.site.domain}/settings/visibility`,
      headers: { Cookie: cookie },
      expect: 200,
    },
    trpc: {
      name: "tRPC sharedLinks.list (API key)",
      path: `/api/trpc/sharedLinks.list?input=${input}`,
      headers: { Authorization: `Bearer ${fx.apiKey}` },
      expect: 200,
    },
    unlock: {
      name: "unlock POST, right password, many recipients",
      manyClients: true,
      path: `/share/${fx.protectedSlug}`,
      method: "POST",
      headers: form,
      body: new URLSearchParams({ password: fx.linkPassword }).toString(),
      expect: 303,
    },
    flood: {
      name: "flood: wrong-password POSTs",
      path: `/share/${fx.protectedSlug}`,
      method: "POST",
      headers: form,
      body: new URLSearchParams({ password: "not-the-password" }).toString(),
      expect: 401,
    },
  } satisfies Record<string, Target>;
}

export async function measured(server: Running, target: Target, seconds: number): Promise<LoadFigures> {
  server.rss.reset();
  const figures = await drive(server, target, seconds);
  return { ...figures, rssPeakMb: server.rss.peak() };
}

export interface ServerRun {
  scenarios: LoadFigures[];
  flood: FloodFigures;
}

/**
 * Warm-up (one request each, then a short burst), then each scenario alone, then the open share
 * page again while a second autocannon sends wrong passwords to the protected link. The server
 * runs with UNLOCK_MAX_ATTEMPTS=1000 so the flood pays for Argon2 on every attempt instead of
 * being turned away by the limiter after ten: the worst case for everybody else.
 */
export async function runServerScenarios(server: Running, fx: Fixtures, cookie: string, seconds: number): Promise<ServerRun> {
  const t = targets(fx, cookie, server.url);
  const alone: Target[] = [t.share, t.segment, t.settings, t.trpc, t.unlock];
  for (const target of alone) await preflight(server, target);
  await preflight(server, t.flood);
  const warm = Math.max(1, Math.min(3, Math.round(seconds / 3)));
  log(`  warm-up ${warm} s per scenario`);
  for (const target of alone) await drive(server, target, warm);
  const scenarios: LoadFigures[] = [];
  for (const target of alone) {
    const figures = await measured(server, target, seconds);
    log(`  ${target.name}: p50 ${figures.p50} ms, p95 ${figures.p95} ms, ${figures.rps} req/s, bad ${figures.bad}, RSS ${figures.rssPeakMb} MB`);
    scenarios.push(figures);
  }
  server.rss.reset();
  const [open, flood] = await Promise.all([drive(server, t.share, seconds), drive(server, t.flood, seconds)]);
  const rssPeakMb = server.rss.peak();
  const base = scenarios[0]!;
  const result: FloodFigures = {
    open: { ...open, scenario: "share page, open link, under flood", rssPeakMb },
    flood: { ...flood, rssPeakMb, bad: flood.bad - (flood.statuses["401"] ?? 0) },
    p95Ratio: Math.round((open.p95 / base.p95) * 100) / 100,
  };
  log(`  under flood: p95 ${open.p95} ms (${result.p95Ratio}× alone); flood answers ${JSON.stringify(flood.statuses)}`);
  return { scenarios, flood: result };
}

/** The ceiling: the same load on a server that does nothing but answer. */
export async function runBare(server: Running, seconds: number): Promise<LoadFigures> {
  const target: Target = { name: "bare node:http, 10 KB page", path: "/", expect: 200 };
  await preflight(server, target);
  await drive(server, target, Math.max(1, Math.min(3, Math.round(seconds / 3))));
  return measured(server, target, seconds);
}
