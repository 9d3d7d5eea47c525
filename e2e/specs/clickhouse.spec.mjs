// STATS_ENGINE=clickhouse (issue 27): two instances on one PostgreSQL and one `clickhouse:local`
// (chdb behind ClickHouse's HTTP interface, through the official client) give, for random views of
// a seeded site's open link, the figures of an instance on STATS_ENGINE=source; ClickHouse holds
// each copied event once after both synced; with ClickHouse stopped the share views stay correct
// and /healthz says the stats are degraded.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient } from "@clickhouse/client";
import postgres from "postgres";
import { Client } from "../lib/http.mjs";
import { freePort, freshDatabase, launchInstance } from "../lib/server.mjs";

const root = process.env.E2E_ROOT ?? process.cwd();
const artifacts = process.env.E2E_ARTIFACTS ?? join(root, "e2e", ".artifacts");
const PG = process.env.E2E_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const secret = randomBytes(32).toString("hex");
const cleanups = [];
let db;
let source;
let a;
let b;
let slug;
let chPort;
let chPath;
let chChild;
let clickhouseUrl;

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

function startClickHouse(port) {
  const child = spawn(process.execPath, ["scripts/clickhouse-local.mjs", "--port", String(port), "--path", chPath], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk) => /listening on/.test(chunk.toString()) && resolve(child));
    child.once("exit", (code) => reject(new Error(`clickhouse:local ended (${code})`)));
  });
}

async function instance(label, extraEnv) {
  const server = await launchInstance({ root, logPath: join(artifacts, `clickhouse-${label}.log`), dbEnv: db.env, secret, extraEnv: { TRUST_PROXY: "1", ...extraEnv } });
  cleanups.push(() => server.stop());
  return server;
}

/** share.stats over HTTP, as the share page's client asks for it; the live "current visitors" left out. */
async function stats(server, input, ip) {
  const client = new Client(server.baseUrl, { ip });
  const res = await client.request(`/api/trpc/share.stats?input=${encodeURIComponent(JSON.stringify({ slug, ...input }))}`);
  assert.equal(res.status, 200, `share.stats on ${server.baseUrl}: ${res.body.slice(0, 300)}`);
  const { currentVisitors: _live, ...figures } = JSON.parse(res.body).result.data;
  return figures;
}

const PERIODS = [{ key: "7d" }, { key: "30d" }, { key: "month" }, { key: "12mo" }, { key: "today" }];
const FILTERS = [
  [],
  [{ dimension: "country", operator: "is", values: ["DE"] }],
  [{ dimension: "device", operator: "is_not", values: ["Mobile"] }],
  [{ dimension: "page", operator: "contains", values: ["pric"] }],
  [{ dimension: "source", operator: "is", values: ["Google", "Direct / None"] }],
  [{ dimension: "goal", operator: "is", values: ["Signup"] }],
  [{ dimension: "browser", operator: "is", values: ["Firefox"] }, { dimension: "page", operator: "is_not", values: ["/"] }],
];

/** Ten views, the same ten each run: a period and a filter set each. */
const VIEWS = Array.from({ length: 10 }, (_, i) => ({ period: PERIODS[(i * 3) % PERIODS.length], filters: FILTERS[(i * 5 + 1) % FILTERS.length] }));

describe("the ClickHouse engine, two instances", () => {
  before(async () => {
    db = await freshDatabase(PG, "clickhouse");
    cleanups.push(() => db.drop());
    source = await instance("source", { STATS_ENGINE: "source" });
    const seeded = spawnSync(process.execPath, ["--import", "tsx", "scripts/seed.ts"], { cwd: root, env: { ...process.env, ...db.env, NODE_ENV: "development" }, encoding: "utf8" });
    assert.equal(seeded.status, 0, seeded.stderr);
    slug = /Shared link \(open\):\s+\S+\/share\/(\S+)/.exec(seeded.stdout)?.[1];
    assert.ok(slug, `the seed printed an open link: ${seeded.stdout}`);
    chPort = await freePort();
    chPath = mkdtempSync(join(tmpdir(), "glimpse-e2e-clickhouse-"));
    cleanups.push(async () => rmSync(chPath, { recursive: true, force: true }));
    chChild = await startClickHouse(chPort);
    cleanups.push(async () => chChild.kill("SIGKILL"));
    clickhouseUrl = `http://glimpse:secret@127.0.0.1:${chPort}/glimpse_e2e`;
    [a, b] = await Promise.all([instance("a", { STATS_ENGINE: "clickhouse", CLICKHOUSE_URL: clickhouseUrl }), instance("b", { STATS_ENGINE: "clickhouse", CLICKHOUSE_URL: clickhouseUrl })]);
  });

  it("copies the site once, whichever instance gets there, each event once", async () => {
    const ch = createClient({ url: `http://127.0.0.1:${chPort}`, database: "glimpse_e2e", username: "glimpse", password: "secret" });
    const sql = postgres(db.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    try {
      const rows = async (query) => (await ch.query({ query, format: "JSONEachRow" })).json();
      let held;
      let expected;
      const deadline = Date.now() + 180_000;
      do {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const [copied] = await rows("SELECT max(to_day) AS through, sum(events) AS listed FROM copies").catch(() => [{}]);
        [held] = await rows("SELECT count() AS visits, sum(length(pages) + length(names)) AS events FROM visits").catch(() => [{}]);
        if (!copied?.through || copied.through === "1970-01-01") continue;
        [expected] = await sql`select (select count(*) from visits where day <= ${copied.through})::int as visits, (select count(*) from events where day <= ${copied.through})::int as events`;
        if (Number(copied.listed) === expected.events && Date.parse(copied.through) >= Date.now() - 3 * 86_400_000) break;
      } while (Date.now() < deadline);
      assert.deepEqual({ visits: Number(held.visits), events: Number(held.events) }, expected, "ClickHouse holds each copied visit and event once");
    } finally {
      await ch.close();
      await sql.end();
    }
  });

  it("gives the figures of an instance on the tables, for ten views, from both instances", async () => {
    let n = 0;
    for (const view of VIEWS) {
      const expected = await stats(source, view, `10.27.0.${++n}`);
      assert.deepEqual(await stats(a, view, `10.27.1.${n}`), expected, `instance A, ${JSON.stringify(view)}`);
      assert.deepEqual(await stats(b, view, `10.27.2.${n}`), expected, `instance B, ${JSON.stringify(view)}`);
    }
  });

  it("keeps share views correct with ClickHouse stopped, and /healthz says the stats are degraded", async () => {
    chChild.kill("SIGKILL");
    await new Promise((resolve) => chChild.once("exit", resolve));
    let n = 0;
    for (const view of VIEWS.slice(0, 4)) {
      const expected = await stats(source, view, `10.27.3.${++n}`);
      assert.deepEqual(await stats(a, view, `10.27.4.${n}`), expected, `instance A without ClickHouse, ${JSON.stringify(view)}`);
      assert.deepEqual(await stats(b, view, `10.27.5.${n}`), expected, `instance B without ClickHouse, ${JSON.stringify(view)}`);
    }
    // The views above may all come from memory; the instance asks ClickHouse every few seconds anyway.
    let health;
    const noticed = Date.now() + 20_000;
    do {
      health = await (await fetch(`${a.baseUrl}/healthz`)).json();
      if (health.stats === "degraded") break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    } while (Date.now() < noticed);
    assert.equal(health.db, "ok");
    assert.equal(health.stats, "degraded");
    chChild = await startClickHouse(chPort);
    const deadline = Date.now() + 30_000;
    let back;
    do {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      back = await (await fetch(`${a.baseUrl}/healthz`)).json();
    } while (back.stats !== "ok" && Date.now() < deadline);
    assert.equal(back.stats, "ok", "ClickHouse is read again once it is back");
  });
});
