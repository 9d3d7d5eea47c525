// A flood of the largest valid events (issue 25): 30 properties of 480 characters nobody sent
// before (~14.7 KB each) from 12 client networks × 40 keep-alive connections, against the
// production server with `npm start`'s heap cap (128 MB) and every limit at its default, on PGlite
// and on PostgreSQL. It used to answer 202 for thousands, run out of heap and write none of them.
// Now the server stays up, its memory stays bounded, what is past the buffer's byte bound gets 503
// with Retry-After, and every event answered 202 is in the database afterwards (each has a path of
// its own, so they are counted one by one).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { addSite, signUp } from "../lib/admin-http.mjs";
import { floodEvents, peakRssMb, rssMb } from "../lib/event-flood.mjs";
import { Client } from "../lib/http.mjs";
import { freshDatabase, launchInstance } from "../lib/server.mjs";

const root = process.env.E2E_ROOT ?? process.cwd();
const artifacts = process.env.E2E_ARTIFACTS ?? join(root, "e2e", ".artifacts");
const PG = process.env.E2E_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const DOMAIN = "flood.example";
const FLOOD = { networks: 12, connections: 40, seconds: 15 };
/** SPEC §9: the server's RSS under load. */
const MAX_RSS_MB = 300;
/**
 * The embedded database lives in the server's process and takes ~350 MB before the first event
 * (PGlite's WebAssembly memory, 128 MB of it shared buffers), so there what is bounded is what the
 * flood adds on top of the idle server.
 */
const MAX_PGLITE_GROWTH_MB = 160;
const figures = [];
const cleanups = [];

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  for (const line of figures) console.log(`flood: ${line}`);
});

async function storedPaths(kind, dbEnv) {
  if (kind === "Postgres") {
    const sql = postgres(dbEnv.DATABASE_URL, { max: 1, onnotice: () => {} });
    try {
      return new Set((await sql`select pathname from events`).map((row) => row.pathname));
    } finally {
      await sql.end();
    }
  }
  const pglite = new PGlite(join(dbEnv.DATA_DIR, "pglite"));
  try {
    return new Set((await pglite.query("select pathname from events")).rows.map((row) => row.pathname));
  } finally {
    await pglite.close();
  }
}

/** A fresh database, the production server on it with npm start's heap cap, and the site. */
async function floodTarget(kind, label) {
  const db = await freshDatabase(kind === "Postgres" ? PG : undefined, label);
  cleanups.push(() => db.drop());
  const server = await launchInstance({
    root,
    logPath: join(artifacts, `${label}.log`),
    dbEnv: db.env,
    secret: randomBytes(32).toString("hex"),
    extraEnv: { TRUST_PROXY: "1", NODE_OPTIONS: "--max-old-space-size=128" },
  });
  cleanups.push(() => server.stop());
  const admin = new Client(server.baseUrl, { ip: "10.80.0.1" });
  await signUp(admin, `${label}@example.com`, "correct horse battery staple");
  await addSite(admin, DOMAIN);
  return { db, server, pid: server.child.pid, idleMb: rssMb(server.child.pid) };
}

/** Up, memory bounded, only expected answers, and a 503 that explains itself. */
async function assertWithstood(kind, { server, pid, idleMb }, flood, label) {
  const alive = server.child.exitCode === null && server.child.signalCode === null;
  const peakMb = alive ? peakRssMb(pid) : NaN;
  figures.push(
    `${label}: ${flood.sent} sent in ${flood.seconds} s, answers ${JSON.stringify(flood.statuses)}; server RSS ${idleMb} MB idle, peak ${peakMb} MB (VmHWM)` +
      (alive ? "" : `; the server died (${server.child.exitCode ?? server.child.signalCode})`),
  );
  assert.ok(alive, "the server is still running");
  assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200, "and answers");
  // PGlite runs its statements on the server's own thread: on a loaded machine the loop can stand
  // still past Node's 5 s keep-alive timeout, and a connection's next request is then reset unread
  // (never acknowledged, so nothing is lost). A few are tolerated there, and counted above.
  const resets = kind === "PGlite" ? (flood.statuses.ECONNRESET ?? 0) : 0;
  assert.ok(resets <= flood.sent * 0.05, `at most 5% of the requests reset (${resets} of ${flood.sent})`);
  for (const status of Object.keys(flood.statuses)) {
    if (status === "ECONNRESET" && resets > 0) continue;
    assert.ok(["202", "429", "503"].includes(status), `only 202, 429 and 503 are answered (${status})`);
  }
  const refused = flood.samples[503];
  if (refused) {
    assert.ok(Number(refused.retryAfter) > 0, "a 503 says when to come back");
    assert.match(JSON.parse(refused.body).error, /cannot store events right now/);
  }
  if (kind === "Postgres") assert.ok(peakMb <= MAX_RSS_MB, `peak RSS ${peakMb} MB ≤ ${MAX_RSS_MB} MB`);
  else assert.ok(peakMb - idleMb <= MAX_PGLITE_GROWTH_MB, `the flood added ${peakMb - idleMb} MB ≤ ${MAX_PGLITE_GROWTH_MB} MB to the server's RSS`);
}

/** A clean stop writes whatever is still held; then every acknowledged event must be there, and nothing else. */
async function assertAllWritten(kind, { db, server }, flood, label) {
  // SIGTERM, and as long as the server takes: writing a full buffer may take a slow database a while.
  const stopping = Date.now();
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill("SIGTERM");
  await exited;
  figures.push(`${label}: the clean stop took ${Date.now() - stopping} ms`);
  const stored = await storedPaths(kind, db.env);
  const missing = [...flood.acked].filter((path) => !stored.has(path));
  figures.push(`${label}: ${flood.acked.size} answered 202, ${stored.size} stored, ${missing.length} missing`);
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged events are missing`);
  for (const path of stored) assert.match(path, /^\/f\d+$/, "nothing else was written");
  assert.equal(stored.size, flood.acked.size);
}

for (const kind of ["PGlite", "Postgres"]) {
  describe(`${kind}: a flood of 14.7 KB events from 12 networks × 40 connections`, () => {
    it("for 15 s (and on until 2,000 were answered 202 or the byte bound was reached) leaves the server up with bounded memory and every 202 written", async () => {
      const target = await floodTarget(kind, `flood-${kind}`);
      const flood = await floodEvents(target.server.baseUrl, DOMAIN, {
        ...FLOOD,
        // A busy machine takes fewer events in 15 s: the flood goes on until it has pressed as hard.
        enough: ({ acked, statuses }) => acked.size >= 2_000 || (statuses[503] ?? 0) > 0,
        maxSeconds: 90,
      });
      await assertWithstood(kind, target, flood, kind);
      assert.ok(flood.acked.size >= 1_000, `the flood was taken in (${flood.acked.size} answered 202)`);
      await assertAllWritten(kind, target, flood, kind);
    });
  });
}

describe("Postgres: the same flood while the database takes no writes", () => {
  it("holds events up to the byte bound, answers 503 with Retry-After past it, stays within its memory, and writes every 202 once the database is back", async () => {
    const target = await floodTarget("Postgres", "flood-stuck");
    // The events table stays locked (a database that stopped answering) until the flood is over.
    const locker = postgres(target.db.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    let release;
    const released = new Promise((resolve) => (release = resolve));
    let locked;
    const isLocked = new Promise((resolve) => (locked = resolve));
    const holding = locker.begin(async (sql) => {
      await sql`lock table events in access exclusive mode`;
      locked();
      await released;
    });
    await isLocked;
    let flood;
    try {
      flood = await floodEvents(target.server.baseUrl, DOMAIN, {
        ...FLOOD,
        // Until the buffer is full, however long that takes; 8,000 held would be 125 MB.
        enough: ({ acked, statuses }) => acked.size >= 8_000 || (statuses[503] ?? 0) > 0,
        maxSeconds: 180,
      });
    } finally {
      release();
      await holding.catch(() => {});
      await locker.end();
    }
    await assertWithstood("Postgres", target, flood, "Postgres, writes held");
    assert.ok(flood.statuses[503] > 0, "past the byte bound, events are refused");
    await assertAllWritten("Postgres", target, flood, "Postgres, writes held");
  });
});
