// Reliability (issue 8): two instances on one Postgres, SIGKILL in the middle of writes on both
// databases, and the headers every response must carry.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { addLink, addSite, listLinks, signUp } from "../lib/admin-http.mjs";
import { Client } from "../lib/http.mjs";
import { freshDatabase, launchInstance } from "../lib/server.mjs";

const root = process.env.E2E_ROOT ?? process.cwd();
const artifacts = process.env.E2E_ARTIFACTS ?? join(root, "e2e", ".artifacts");
const PG = process.env.E2E_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const PASSWORD = "correct horse battery staple";
const figures = { instances: 0, kills: 0, linksChecked: 0 };
const cleanups = [];

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  console.log(`ops: ${figures.instances} instances started, ${figures.kills} SIGKILLs survived, ${figures.linksChecked} links checked after kills`);
});

async function instance(label, db, secret, extraEnv) {
  const server = await launchInstance({ root, logPath: join(artifacts, `ops-${label}.log`), dbEnv: db.env, secret, extraEnv });
  figures.instances += 1;
  cleanups.push(() => server.stop());
  return server;
}

/** Fires link creations and renames without waiting, then kills the server while they run. */
async function burstAndKill(server, client, domain) {
  const requests = [];
  let done = 0;
  let someDone;
  const fiveDone = new Promise((resolve) => (someDone = resolve));
  for (let i = 0; i < 40; i++) {
    const body = { name: `Burst ${i}`, password: i % 3 ? "" : "burst password 12", segmentId: "" };
    requests.push(
      client
        .post(`/sites/${domain}/settings/visibility`, body)
        .catch(() => null)
        .finally(() => ++done === 5 && someDone()),
    );
  }
  // Kill once some writes have committed, while the rest are still in flight.
  await Promise.race([fiveDone, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  await server.kill();
  figures.kills += 1;
  await Promise.all(requests);
}

/** Every link is whole: it has its create audit row, and no audit row points at a missing link. */
async function assertWhole(query) {
  const links = await query("select id, name from shared_links");
  const audits = await query("select link_id, action, after from link_audit");
  for (const link of links) {
    assert.ok(audits.some((a) => a.link_id === link.id && a.action === "create"), `link ${link.name} has its audit row`);
  }
  for (const audit of audits.filter((a) => a.action === "create")) {
    assert.ok(links.some((l) => l.id === audit.link_id), "no audit row for a link that is not there");
  }
  figures.linksChecked += links.length;
  return links.length;
}

describe("production mode", () => {
  it("refuses to start without a real SESSION_SECRET, saying why", async () => {
    const { spawnSync } = await import("node:child_process");
    const cases = [
      [{}, /SESSION_SECRET: is required in production/],
      [{ SESSION_SECRET: "glimpse-development-secret-do-not-use-in-production" }, /development default/],
      [{ SESSION_SECRET: "too-short" }, /at least 32 characters/],
    ];
    for (const [extra, message] of cases) {
      const env = { ...process.env, NODE_ENV: "production", PORT: "0", ...extra };
      delete env.DATABASE_URL;
      if (!("SESSION_SECRET" in extra)) delete env.SESSION_SECRET;
      const result = spawnSync(process.execPath, ["scripts/serve.mjs"], { cwd: root, env, encoding: "utf8", timeout: 30_000 });
      assert.equal(result.status, 1);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    }
  });
});

describe("two instances on one Postgres", () => {
  it("log in on A and act on B; unlock on A and view on B; rate limits add up across both", async () => {
    const db = await freshDatabase(PG, "ops-two");
    cleanups.push(() => db.drop());
    const secret = randomBytes(32).toString("hex");
    const env = { TRUST_PROXY: "1" };
    const [a, b] = [await instance("a", db, secret, env), await instance("b", db, secret, env)];
    const onA = new Client(a.baseUrl, { ip: "10.50.0.1" });
    await signUp(onA, "two@example.com", PASSWORD);
    const onB = new Client(b.baseUrl, { ip: "10.50.0.1" });
    onB.setCookie("glimpse_session", onA.cookie("glimpse_session"));
    await addSite(onB, "two.example");
    const link = await addLink(onB, "two.example", { name: "Across", password: "across password 1" });
    assert.deepEqual((await listLinks(onA, "two.example")).map((l) => l.name), ["Across"]);

    const path = new URL(link.url).pathname;
    const visitor = new Client(a.baseUrl, { ip: "10.50.0.9" });
    assert.equal((await visitor.post(path, { password: "across password 1" })).status, 303);
    const onBVisitor = new Client(b.baseUrl, { ip: "10.50.0.9" });
    onBVisitor.setCookie("glimpse_unlock", visitor.cookie("glimpse_unlock"));
    const view = await onBVisitor.get(path);
    assert.equal(view.status, 200);
    assert.match(view.body, /two\.example/);

    const attacker = (server) => new Client(server.baseUrl, { ip: "10.50.0.66" });
    for (let i = 0; i < 10; i++) assert.equal((await attacker(i % 2 ? a : b).post(path, { password: `guess ${i}` })).status, 401);
    assert.equal((await attacker(a).post(path, { password: "guess 11" })).status, 429);
    assert.equal((await attacker(b).post(path, { password: "guess 12" })).status, 429);
  });
});

describe("crash safety", () => {
  it("Postgres: after SIGKILL in a burst of creates, every link is whole or absent", async () => {
    const db = await freshDatabase(PG, "ops-kill");
    cleanups.push(() => db.drop());
    const secret = randomBytes(32).toString("hex");
    const first = await instance("kill-pg-1", db, secret);
    const admin = new Client(first.baseUrl, { ip: "10.60.0.1" });
    await signUp(admin, "kill@example.com", PASSWORD);
    await addSite(admin, "kill.example");
    await burstAndKill(first, admin, "kill.example");
    const second = await instance("kill-pg-2", db, secret);
    const again = new Client(second.baseUrl, { ip: "10.60.0.1" });
    again.setCookie("glimpse_session", admin.cookie("glimpse_session"));
    const listed = await listLinks(again, "kill.example");
    const sql = postgres(db.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    try {
      const count = await assertWhole((text) => sql.unsafe(text));
      assert.equal(listed.length, count);
    } finally {
      await sql.end();
    }
  });

  it("PGlite: the data directory survives a SIGKILL in a burst of creates", async () => {
    const db = await freshDatabase(undefined, "ops-kill-pglite");
    cleanups.push(() => db.drop());
    const secret = randomBytes(32).toString("hex");
    const first = await instance("kill-pglite-1", db, secret);
    const admin = new Client(first.baseUrl, { ip: "10.70.0.1" });
    await signUp(admin, "kill@example.com", PASSWORD);
    await addSite(admin, "pglite.example");
    await addLink(admin, "pglite.example", { name: "Before the crash" });
    await burstAndKill(first, admin, "pglite.example");
    const second = await instance("kill-pglite-2", db, secret);
    const again = new Client(second.baseUrl, { ip: "10.70.0.1" });
    again.setCookie("glimpse_session", admin.cookie("glimpse_session"));
    const names = (await listLinks(again, "pglite.example")).map((l) => l.name);
    assert.ok(names.includes("Before the crash"));
    await second.stop();
    const pglite = new PGlite(join(db.env.DATA_DIR, "pglite"));
    try {
      const count = await assertWhole(async (text) => (await pglite.query(text)).rows);
      assert.equal(count, names.length);
    } finally {
      await pglite.close();
    }
  });
});
