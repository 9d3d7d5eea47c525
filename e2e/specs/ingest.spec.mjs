// Batched ingestion keeps what it acknowledged (issue 14), on both databases: a clean stop
// (SIGTERM) writes every acknowledged event; a crash (SIGKILL) loses at most the events of the
// last flush interval; and while Postgres cannot be reached, the buffer fills, /api/event answers
// 503, and everything acknowledged is written once Postgres is back. Events are identified by
// their paths, so the check is per event, not just a count.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, connect } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { addSite, signUp } from "../lib/admin-http.mjs";
import { Client } from "../lib/http.mjs";
import { freePort, freshDatabase, launchInstance } from "../lib/server.mjs";

const root = process.env.E2E_ROOT ?? process.cwd();
const artifacts = process.env.E2E_ARTIFACTS ?? join(root, "e2e", ".artifacts");
const PG = process.env.E2E_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const PASSWORD = "correct horse battery staple";
const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
/** The servers' default, as the README states it. */
const FLUSH_MS = 1_000;
const figures = [];
const cleanups = [];

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  for (const line of figures) console.log(`ingest: ${line}`);
});

async function instance(label, db, secret, extraEnv = {}) {
  const server = await launchInstance({ root, logPath: join(artifacts, `ingest-${label}.log`), dbEnv: db.env, secret, extraEnv: { TRUST_PROXY: "1", ...extraEnv } });
  cleanups.push(() => server.stop());
  return server;
}

async function siteOn(server, domain) {
  const admin = new Client(server.baseUrl, { ip: "10.80.0.1" });
  await signUp(admin, `${domain}@example.com`, PASSWORD);
  await addSite(admin, domain);
}

/** Pageview number i (path /e{i}) from an address of its own: the answer, or null when the connection failed. */
async function post(baseUrl, domain, i) {
  try {
    const res = await fetch(`${baseUrl}/api/event`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": CHROME, "X-Forwarded-For": `10.${81 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}` },
      body: JSON.stringify({ name: "pageview", url: `https://${domain}/e${i}`, domain, referrer: "" }),
    });
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.text() };
  } catch {
    return null;
  }
}

/** The same, as just its status (0 when the connection failed). */
const send = async (baseUrl, domain, i) => (await post(baseUrl, domain, i))?.status ?? 0;

/** A fresh database of this kind, a server on it and a site to send events for. */
async function serverWithSite(label, database, domain) {
  const db = await freshDatabase(database, label);
  cleanups.push(() => db.drop());
  const secret = randomBytes(32).toString("hex");
  const server = await instance(label, db, secret);
  await siteOn(server, domain);
  return { db, secret, server };
}

/**
 * Sends events from `workers` clients at once until `stop()` is called; records when each was
 * acknowledged.
 */
function sendSteadily(baseUrl, domain, workers = 8) {
  const acked = new Map();
  let next = 0;
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const i = next++;
      const status = await send(baseUrl, domain, i);
      if (status === 202) acked.set(`/e${i}`, Date.now());
    }
  });
  return {
    acked,
    sent: () => next,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function pathsOnPostgres(url) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return new Set((await sql`select pathname from events`).map((row) => row.pathname));
  } finally {
    await sql.end();
  }
}

async function pathsOnPglite(dataDir) {
  const pglite = new PGlite(join(dataDir, "pglite"));
  try {
    return new Set((await pglite.query("select pathname from events")).rows.map((row) => row.pathname));
  } finally {
    await pglite.close();
  }
}

for (const kind of ["PGlite", "Postgres"]) {
  const database = kind === "Postgres" ? PG : undefined;
  /** Reads the events on this database; a PGlite one only once its server is stopped. */
  const paths = (db) => (kind === "Postgres" ? pathsOnPostgres(db.env.DATABASE_URL) : pathsOnPglite(db.env.DATA_DIR));

  describe(`${kind}: what is acknowledged is kept`, () => {
    it("SIGTERM writes every acknowledged event before the process ends", async () => {
      const { db, server } = await serverWithSite(`term-${kind}`, database, "term.example");
      const load = sendSteadily(server.baseUrl, "term.example");
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await load.stop();
      // Nothing is in flight now; what was acknowledged in the last second is still buffered.
      await server.stop();
      const stored = await paths(db);
      const missing = [...load.acked.keys()].filter((path) => !stored.has(path));
      figures.push(`${kind} SIGTERM: ${load.acked.size} acknowledged, ${stored.size} stored, ${missing.length} missing`);
      assert.ok(load.acked.size > 100, `enough events were sent (${load.acked.size})`);
      assert.deepEqual(missing, []);
    });

    it(`SIGKILL loses at most the events of the last flush interval (${FLUSH_MS} ms), and the database opens again`, async () => {
      const { db, secret, server } = await serverWithSite(`kill-${kind}`, database, "kill.example");
      const load = sendSteadily(server.baseUrl, "kill.example");
      // At least 3 s, and until plenty was acknowledged well before now: a server still warming
      // up (the embedded database's first writes) answers slowly at first.
      const settled = () => [...load.acked.values()].filter((at) => at < Date.now() - 2 * FLUSH_MS - 500).length;
      const giveUp = Date.now() + 20_000;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      while (settled() <= 150 && Date.now() < giveUp) await new Promise((resolve) => setTimeout(resolve, 100));
      const killedAt = Date.now();
      await server.kill();
      await load.stop();
      // The data survives: a new process on it starts and answers.
      const restarted = await instance(`kill-${kind}-restart`, db, secret);
      assert.equal((await fetch(`${restarted.baseUrl}/healthz`)).status, 200);
      if (kind === "PGlite") await restarted.stop();
      const stored = await paths(db);
      const acked = [...load.acked];
      const lost = acked.filter(([path]) => !stored.has(path));
      // A write under way when the process died may hold up to one interval of events more.
      const mustBeKept = acked.filter(([, at]) => at < killedAt - 2 * FLUSH_MS - 500);
      const lostEarly = mustBeKept.filter(([path]) => !stored.has(path));
      const oldestLost = lost.length ? Math.max(...lost.map(([, at]) => killedAt - at)) : 0;
      figures.push(`${kind} SIGKILL: ${acked.length} acknowledged, ${lost.length} lost (acknowledged at most ${oldestLost} ms before the kill)`);
      assert.ok(mustBeKept.length > 100, `enough events were acknowledged well before the kill (${mustBeKept.length})`);
      assert.deepEqual(lostEarly.map(([path]) => path), []);
      for (const path of stored) assert.match(path, /^\/e\d+$/, "nothing else was written");
      if (kind === "Postgres") await restarted.stop();
    });
  });
}

/** A TCP relay in front of Postgres that can drop every connection and refuse new ones. */
async function relayTo(port) {
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const listenPort = await freePort();
  const listen = () => new Promise((resolve) => server.listen(listenPort, "127.0.0.1", resolve));
  await listen();
  return {
    port: listenPort,
    cut: async () => {
      await new Promise((resolve) => {
        server.close(resolve);
        for (const socket of sockets) socket.destroy();
      });
    },
    restore: listen,
    close: () => new Promise((resolve) => (server.listening ? server.close(resolve) : resolve())),
  };
}

describe("Postgres out of reach", () => {
  it("fills the bounded buffer, then answers 503 with Retry-After, and writes everything acknowledged once it is back", async () => {
    const db = await freshDatabase(PG, "ingest-outage");
    cleanups.push(() => db.drop());
    const target = new URL(db.env.DATABASE_URL);
    const relay = await relayTo(Number(target.port || 5432));
    cleanups.push(() => relay.close());
    const viaRelay = new URL(target);
    viaRelay.port = String(relay.port);
    const secret = randomBytes(32).toString("hex");
    const server = await instance("outage", { env: { ...db.env, DATABASE_URL: viaRelay.toString() } }, secret, {
      INGEST_BUFFER_EVENTS: "300",
      INGEST_FLUSH_MS: "200",
      STATEMENT_TIMEOUT_SECONDS: "5",
    });
    await siteOn(server, "outage.example");
    let i = 0;
    const acked = new Set();
    for (; i < 50; i++) if ((await send(server.baseUrl, "outage.example", i)) === 202) acked.add(`/e${i}`);
    await new Promise((resolve) => setTimeout(resolve, 600));

    await relay.cut();
    let refused = null;
    for (; i < 1_000 && !refused; i++) {
      const res = await post(server.baseUrl, "outage.example", i);
      if (res?.status === 202) acked.add(`/e${i}`);
      else refused = res ?? { status: 0 };
    }
    assert.ok(refused, "the buffer ran full");
    assert.equal(refused.status, 503);
    assert.ok(Number(refused.retryAfter) > 0, "Retry-After is set");
    assert.match(JSON.parse(refused.body).error, /cannot store events right now/);
    const heldWhileDown = acked.size - 50;
    assert.ok(heldWhileDown >= 250 && heldWhileDown <= 300, `the buffer held about its bound (${heldWhileDown})`);

    await relay.restore();
    const deadline = Date.now() + 20_000;
    let stored = new Set();
    while (Date.now() < deadline) {
      stored = await pathsOnPostgres(db.env.DATABASE_URL);
      if ([...acked].every((path) => stored.has(path))) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    figures.push(`outage: ${acked.size} acknowledged (${heldWhileDown} while Postgres was away), then ${refused.status}; ${stored.size} stored after it came back`);
    assert.deepEqual([...acked].filter((path) => !stored.has(path)), []);
    assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200, "the server is still up");
    assert.equal(await send(server.baseUrl, "outage.example", 5_000), 202, "and takes events again");
  });
});
