// One client attacks while others use the site: the others' p95 under attack against their p95
// without it, on the same server in the same run (SPEC §8: one client cannot slow other clients'
// pages by more than 2×). The others load pages at a steady pace (tens a second, as people do);
// the attacker goes as fast as it can. The server trusts one proxy hop, so the bench plays the
// proxy: each attacker and each victim has its own X-Forwarded-For address.
import { readFileSync } from "node:fs";
import { request } from "node:http";
import autocannon from "autocannon";
import { type EventCounter, waitForRows } from "./ingest.js";
import { freshAddress } from "./load.js";
import { log } from "./progress.js";
import { FLOOD_CONNECTIONS, FLOOD_NETWORKS, propsFlood } from "./props-flood.js";
import type { Fixtures } from "./seed.js";
import type { Running } from "./server.js";

interface Victim {
  name: string;
  path: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Requests per second: people using the site at a steady pace, not a load test at full speed. */
  rate: number;
  /** A fresh client address on every request (many recipients), instead of one. */
  manyClients?: boolean;
}

export interface VictimFigures {
  name: string;
  aloneP95: number;
  underP95: number;
  ratio: number;
  /** Answers outside 2xx/3xx under attack. */
  bad: number;
}

export interface AttackFigures {
  attack: string;
  victims: VictimFigures[];
  /** What the attacker was answered, by status (or "error"). */
  attacker: Record<string, number>;
  rssPeakMb: number;
  /** For attacks that send events: the ones answered 202 that reached the events table. */
  written?: number;
  /** Whether the server was still running after the attack. */
  serverAlive?: boolean;
}

const MB = 1024 * 1024;

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! * 10) / 10;
}

async function driveVictim(server: Running, victim: Victim, seconds: number) {
  const times: number[] = [];
  const instance = autocannon({
    url: `${server.url}${victim.path}`,
    method: victim.method ?? "GET",
    headers: { "X-Forwarded-For": "10.200.0.1", ...victim.headers },
    body: victim.body,
    connections: victim.connections,
    overallRate: victim.rate,
    duration: seconds,
    timeout: 30,
    ...(victim.manyClients && {
      requests: [{ setupRequest: (req: { headers?: Record<string, string> }) => ({ ...req, headers: { ...req.headers, "X-Forwarded-For": freshAddress() } }) }],
    }),
  });
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => times.push(responseTime));
  const result = await instance;
  const bad = Object.entries(result.statusCodeStats).reduce((n, [code, s]) => (Number(code) < 400 ? n : n + s.count), 0) + result.errors + result.timeouts;
  return { times, bad };
}

const ROUNDS = 3;

/** Busy and total CPU time of the whole machine so far (all cores), from /proc/stat. */
function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Waits until the machine is quiet (under a quarter busy for a second), at most 60 s: work an
 * attack left running (a view computed for a client that has gone) must not land in the next
 * quiet spell and make the site look slow without the attack.
 */
async function waitForQuiet(): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const before = cpuTimes();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = cpuTimes();
    if ((after.busy - before.busy) / Math.max(1, after.total - before.total) < 0.25) return;
  }
}

const merge = (tallies: Record<string, number>[]) =>
  tallies.reduce<Record<string, number>>((all, t) => {
    for (const [k, n] of Object.entries(t)) all[k] = (all[k] ?? 0) + n;
    return all;
  }, {});

/**
 * A client that keeps `count` uploads of `bytes` in flight, each trying to send every byte whatever
 * it is told; the next starts when one is over (answered and its connection closed).
 */
function bodyFlood(server: Running, seconds: number, count = 10, bytes = 200 * MB) {
  const url = new URL(server.url);
  const paths = ["/api/event", "/login", "/signup", "/api/trpc/share.unlock", "/sites/new"];
  const tally: Record<string, number> = {};
  const until = Date.now() + seconds * 1000;
  const chunk = Buffer.alloc(MB, 0x61);
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: "POST",
          path: paths[i % paths.length],
          agent: false,
          headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "203.0.113.90", ...(i % 2 ? { "Transfer-Encoding": "chunked" } : { "Content-Length": String(bytes) }) },
        },
        (res) => {
          tally[res.statusCode ?? 0] = (tally[res.statusCode ?? 0] ?? 0) + 1;
          res.resume();
        },
      );
      // The server cuts a refused upload off after answering it; that is the end of this one.
      req.on("error", () => {});
      req.on("close", resolve);
      let sent = 0;
      const pump = () => {
        while (sent < bytes && !req.destroyed) {
          sent += MB;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
  const loops = Array.from({ length: count }, async (_, i) => {
    while (Date.now() < until) await one(i);
  });
  return Promise.all(loops).then(() => tally);
}

async function autocannonAttack(server: Running, seconds: number, options: Omit<Parameters<typeof autocannon>[0], "url">) {
  const result = await autocannon({ duration: seconds, timeout: 30, ...options, url: server.url });
  const tally: Record<string, number> = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  if (result.errors) tally.error = result.errors;
  return tally;
}

/**
 * Each attack takes turns with quiet spells, `seconds` of each in all, while the victims load pages.
 * Victims: another link's share page, /healthz and an admin page; for the hashing flood, a
 * recipient unlocking a protected link from an address of their own.
 */
export async function runAbuseScenarios(server: Running, fx: Fixtures, cookie: string, seconds: number, counter: EventCounter): Promise<AttackFigures[]> {
  const form = { "Content-Type": "application/x-www-form-urlencoded", Origin: server.url };
  const pages: Victim[] = [
    { name: "share page, segment link", path: `/share/${fx.segmentSlug}?period=30d`, connections: 4, rate: 40 },
    { name: "/healthz", path: "/healthz", connections: 1, rate: 10 },
    { name: "settings page (logged in)", path: `/sites/${fx.site.domain}/settings/visibility`, headers: { Cookie: cookie }, connections: 2, rate: 10 },
  ];
  const unlock: Victim = {
    name: "unlock, right password, many recipients",
    path: `/share/${fx.protectedSlug}`,
    method: "POST",
    headers: form,
    body: new URLSearchParams({ password: fx.linkPassword }).toString(),
    connections: 2,
    rate: 4,
    manyClients: true,
  };
  let madeUp = 0;
  let eventsBefore = 0;
  const attacks: Array<{
    attack: string;
    victims: Victim[];
    run: (seconds: number) => Promise<Record<string, number>>;
    /** Before the first round, and once the rounds are over: for attacks whose answers must be checked against the database. */
    before?: () => Promise<void>;
    after?: (attacker: Record<string, number>) => Promise<Pick<AttackFigures, "written">>;
  }> = [
    {
      attack: "made-up filters on an open link, 30 connections from one address",
      victims: pages,
      run: (seconds) =>
        autocannonAttack(server, seconds, {
          connections: 30,
          headers: { "X-Forwarded-For": "203.0.113.80" },
          // "is not" a page nobody visits keeps nearly every row: each view is as costly as the
          // whole unfiltered period, and never the same twice.
          requests: [{ setupRequest: (req: object) => ({ ...req, path: `/share/${fx.openSlug}?period=30d&f=page,is_not,/made-up-${madeUp++}` }) }],
        }),
    },
    { attack: "10 concurrent 200 MB bodies, sent in full, from one address", victims: pages, run: (seconds) => bodyFlood(server, seconds) },
    {
      attack: "password hashing: sign-ups and logins, 20 connections from one address",
      victims: [unlock, pages[1]!],
      run: (seconds) =>
        autocannonAttack(server, seconds, {
          connections: 20,
          headers: { ...form, "X-Forwarded-For": "203.0.113.70" },
          requests: [
            { method: "POST", path: "/signup", body: new URLSearchParams({ email: fx.email, password: "flooding password 1" }).toString() },
            { method: "POST", path: "/login", body: new URLSearchParams({ email: `nobody@example.com`, password: "flooding password 1" }).toString() },
          ],
        }),
    },
    {
      attack: `props flood: 14.7 KB events from ${FLOOD_NETWORKS} networks × ${FLOOD_CONNECTIONS} connections`,
      victims: pages,
      run: (seconds) => propsFlood(server, fx.site.domain, seconds),
      before: async () => {
        eventsBefore = await counter.count();
      },
      // Every event answered 202 must reach the table; the count stops growing once they have.
      after: async (attacker) => ({ written: (await waitForRows(counter, eventsBefore, attacker[202] ?? 0, performance.now())).written }),
    },
  ];
  const results: AttackFigures[] = [];
  // Alone and under attack take turns, three rounds of half the duration each, so a slow spell of
  // the machine falls on both sides instead of deciding the ratio.
  const phase = Math.max(1, Math.round(seconds / 2));
  for (const { attack, victims, run, before, after } of attacks) {
    await before?.();
    const alone = victims.map(() => ({ times: [] as number[], bad: 0 }));
    const under = victims.map(() => ({ times: [] as number[], bad: 0 }));
    const tallies: Record<string, number>[] = [];
    let rssPeakMb = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await waitForQuiet();
      const quiet = await Promise.all(victims.map((v) => driveVictim(server, v, phase)));
      server.rss.reset();
      const [loud, tally] = await Promise.all([Promise.all(victims.map((v) => driveVictim(server, v, phase))), run(phase)]);
      rssPeakMb = Math.max(rssPeakMb, server.rss.peak());
      tallies.push(tally);
      victims.forEach((_, i) => {
        alone[i]!.times.push(...quiet[i]!.times);
        under[i]!.times.push(...loud[i]!.times);
        under[i]!.bad += loud[i]!.bad;
      });
    }
    const p95 = (times: number[]) => percentile([...times].sort((a, b) => a - b), 95);
    const figures: AttackFigures = {
      attack,
      victims: victims.map((v, i) => {
        const [aloneP95, underP95] = [p95(alone[i]!.times), p95(under[i]!.times)];
        return { name: v.name, aloneP95, underP95, ratio: Math.round((underP95 / aloneP95) * 100) / 100, bad: under[i]!.bad };
      }),
      attacker: merge(tallies),
      rssPeakMb,
    };
    Object.assign(figures, await after?.(figures.attacker), { serverAlive: server.alive() });
    const written = figures.written === undefined ? "" : `; ${figures.written} of its ${figures.attacker[202] ?? 0} accepted events written`;
    log(`  ${attack}: ${figures.victims.map((v) => `${v.name} p95 ${v.aloneP95} → ${v.underP95} ms (${v.ratio}×, ${v.bad} bad)`).join("; ")}; attacker got ${JSON.stringify(figures.attacker)}${written}; RSS ${figures.rssPeakMb} MB${figures.serverAlive ? "" : "; the server died"}`);
    results.push(figures);
  }
  return results;
}
