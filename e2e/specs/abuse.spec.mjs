// Abuse resistance (issue 12), tried the way an attacker would, over HTTP against the production
// build: huge bodies, forged client addresses, password floods, made-up filters, odd spellings of
// paths, open redirects, a proxy that rewrites Host, the demo account in production.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { addLink, addSite, signUp } from "../lib/admin-http.mjs";
import { launchBrowser } from "../lib/browser.mjs";
import { Client } from "../lib/http.mjs";
import { percentiles, rawRequest, timeGets } from "../lib/raw-http.mjs";
import { freePort, startServer } from "../lib/server.mjs";
import { eventsWritten } from "../lib/ingest.mjs";

const baseUrl = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000";
const root = process.env.E2E_ROOT ?? process.cwd();
const artifacts = process.env.E2E_ARTIFACTS ?? join(root, "e2e", ".artifacts");
const label = process.env.E2E_LABEL ?? "abuse";
const PASSWORD = "correct horse battery staple";
const LINK_PASSWORD = "abuse link password 1";
const MB = 1024 * 1024;

const admin = new Client(baseUrl, { ip: "10.90.0.1" });
const DOMAIN = "abuse.example";
const OTHER_DOMAIN = "bystander.example";
let open;
let locked;
let bystander;
const figures = {};
const cleanups = [];

const serverLog = () => readFileSync(join(artifacts, `${label}.log`), "utf8");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  await signUp(admin, "abuse-admin@example.com", PASSWORD);
  await addSite(admin, DOMAIN);
  await addSite(admin, OTHER_DOMAIN);
  open = await addLink(admin, DOMAIN, { name: "Open" });
  locked = await addLink(admin, DOMAIN, { name: "Locked", password: LINK_PASSWORD });
  bystander = await addLink(admin, OTHER_DOMAIN, { name: "Bystander" });
  const visitor = new Client(baseUrl, { ip: "10.90.0.9", headers: { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36" } });
  for (const path of ["/", "/pricing", "/blog/a"]) {
    const res = await visitor.request("/api/event", { json: { name: "pageview", url: `https://${DOMAIN}${path}`, domain: DOMAIN, referrer: "" }, cookies: false });
    assert.equal(res.status, 202, res.body);
  }
  await eventsWritten();
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  console.log(`abuse figures: ${JSON.stringify(figures)}`);
});

async function assertUp() {
  const res = await fetch(`${baseUrl}/healthz`);
  assert.equal(res.status, 200, "the server still answers");
}

describe("request bodies", () => {
  it("ten concurrent 200 MB bodies to a mix of routes get 413, and the server stays up and answers others", async () => {
    const idle = [...(await timeGets(baseUrl, `/share/${bystander.slug}`, 30)), ...(await timeGets(baseUrl, "/healthz", 30))];
    const targets = [
      "/api/event", "/login", "/signup", `/share/${locked.slug}`, "/api/trpc/share.unlock",
      `/sites/${DOMAIN}/settings/visibility`, "/logout", "/api/trpc/auth.login", "/sites/new", `/share/${open.slug}?embed=true`,
    ];
    const floods = targets.map((path, i) =>
      rawRequest(baseUrl, {
        method: "POST",
        path,
        headers: { "Content-Type": i % 3 ? "application/x-www-form-urlencoded" : "application/json" },
        bytes: 200 * MB,
        chunked: i % 2 === 1,
        // Half the clients stop once answered; the other half push all 200 MB regardless.
        stopOnAnswer: i % 4 < 2,
      }),
    );
    let flooding = true;
    const during = [];
    const sampler = (async () => {
      while (flooding) {
        during.push(...(await timeGets(baseUrl, `/share/${bystander.slug}`, 1)), ...(await timeGets(baseUrl, "/healthz", 1)));
      }
    })();
    const results = await Promise.all(floods);
    flooding = false;
    await sampler;
    assert.deepEqual(
      results.map((r) => r.status ?? r.error),
      Array(10).fill(413),
      "every oversized body is answered 413",
    );
    assert.match(results[0].body, /too large: 16 KB at most/);
    await assertUp();
    figures.bodies = { idleP95: percentiles(idle).p95.toFixed(1), floodP95: percentiles(during).p95.toFixed(1), samples: during.length };
  });

  it("refuses a declared length over the limit before reading it, and any body on a GET", async () => {
    // Content-Length says 10 MB, nothing follows: the answer cannot wait for the body.
    const unread = await rawRequest(baseUrl, { method: "POST", path: "/api/event", headers: { "Content-Length": String(10 * MB), "Content-Type": "text/plain" } });
    assert.equal(unread.status, 413);
    const get = await rawRequest(baseUrl, { method: "GET", path: "/healthz", body: "x".repeat(1000) });
    assert.equal(get.status, 413);
    assert.match(get.body, /must not have a body/);
  });

  it("takes a form just under its limit, and one just over gets 413, not a 500", async () => {
    const form = (size) => new URLSearchParams({ email: "nobody@example.com", password: "not the password", pad: "x".repeat(size) }).toString();
    const under = await rawRequest(baseUrl, { method: "POST", path: "/login", headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "10.90.1.1" }, body: form(60 * 1024) });
    assert.equal(under.status, 401);
    const over = await rawRequest(baseUrl, { method: "POST", path: "/login", headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "10.90.1.1" }, body: form(70 * 1024) });
    assert.equal(over.status, 413);
  });
});

describe("client addresses", () => {
  it("refuses a forwarded address that is not one (a 5 KB X-Forwarded-For) with 400, never 500", async () => {
    const junk = "a".repeat(5 * 1024);
    for (const [method, path, body] of [["POST", "/login", "email=a%40b.c&password=whatever-it-is"], ["GET", `/share/${open.slug}`, undefined], ["POST", "/api/event", "{}"]]) {
      const res = await rawRequest(baseUrl, { method, path, body, headers: { "X-Forwarded-For": junk, "Content-Type": "application/x-www-form-urlencoded" } });
      assert.equal(res.status, 400, `${method} ${path}`);
    }
    await assertUp();
  });

  it("says at start when NODE_ENV is not set, instead of using the development secret silently", async () => {
    const { spawn } = await import("node:child_process");
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dataDir = mkdtempSync(join(tmpdir(), "glimpse-e2e-noenv-"));
    const env = { ...process.env, PORT: "0", HOST: "127.0.0.1", SEED: "false", DATA_DIR: dataDir };
    for (const name of ["NODE_ENV", "DATABASE_URL", "SESSION_SECRET"]) delete env[name];
    const child = spawn(process.execPath, ["scripts/serve.mjs"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    try {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no warning in 30 s: ${output}`)), 30_000);
        child.stdout.on("data", (chunk) => {
          output += chunk;
          if (/Glimpse is running/.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on("exit", () => reject(new Error(`exited: ${output}`)));
      });
      assert.match(output, /NODE_ENV is not set, so Glimpse runs in development mode/);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses TRUST_PROXY=true at start and says what to set instead", () => {
    const env = { ...process.env, NODE_ENV: "production", PORT: "0", SESSION_SECRET: "s".repeat(64), TRUST_PROXY: "true" };
    delete env.DATABASE_URL;
    const result = spawnSync(process.execPath, ["scripts/serve.mjs"], { cwd: root, env, encoding: "utf8", timeout: 30_000 });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /TRUST_PROXY: true would let every client choose its own address/);
    assert.match(result.stderr, /number of proxies/);
  });
});

describe("brute force", () => {
  it("one address's wrong passwords lock out neither a recipient nor an account owner elsewhere", async () => {
    const attacker = new Client(baseUrl, { ip: "203.0.113.50" });
    for (let i = 0; i < 10; i++) assert.equal((await attacker.post(`/share/${locked.slug}`, { password: `wrong guess ${i}` })).status, 401);
    const refused = await attacker.post(`/share/${locked.slug}`, { password: LINK_PASSWORD });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get("retry-after")) > 60, "Retry-After in seconds");
    assert.match(refused.body, /Too many incorrect passwords from your network/);
    assert.match(refused.body, /You can try again in \d+ minutes/);
    assert.match(refused.body, /ask the person who shared this link/);
    const recipient = new Client(baseUrl, { ip: "198.51.100.50" });
    assert.equal((await recipient.post(`/share/${locked.slug}`, { password: LINK_PASSWORD })).status, 303);

    for (let i = 0; i < 10; i++) assert.equal((await attacker.post("/login", { email: "abuse-admin@example.com", password: `wrong guess ${i}` })).status, 401);
    const loginRefused = await attacker.post("/login", { email: "abuse-admin@example.com", password: PASSWORD });
    assert.equal(loginRefused.status, 429);
    // The page says how long to wait, and so does the header, for the form and for the API alike.
    assert.ok(Number(loginRefused.headers.get("retry-after")) > 60, "Retry-After on the login form");
    const apiRefused = await attacker.request("/api/trpc/auth.login", { json: { email: "abuse-admin@example.com", password: PASSWORD } });
    assert.equal(apiRefused.status, 429);
    assert.ok(Number(apiRefused.headers.get("retry-after")) > 60, "Retry-After on the API");
    const owner = new Client(baseUrl, { ip: "198.51.100.51" });
    assert.equal((await owner.post("/login", { email: "abuse-admin@example.com", password: PASSWORD })).status, 302);
  });

  it("sixty concurrent wrong logins for one account from one address check at most ten passwords", async () => {
    const email = "raced-abuse@example.com";
    await signUp(new Client(baseUrl, { ip: "10.90.2.1" }), email, PASSWORD);
    const attacker = new Client(baseUrl, { ip: "203.0.113.60" });
    const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => attacker.post("/login", { email, password: `race ${i}` }).then((r) => r.status)));
    const checked = statuses.filter((s) => s === 401).length;
    assert.ok(checked <= 10, `${checked} passwords checked`);
    assert.equal(statuses.filter((s) => s === 429).length, 60 - checked);
    figures.concurrentLogins = { checked, refused: 60 - checked };
  });

  it("a password-hashing flood from one address never stops a correct unlock elsewhere, nor counts against it", async () => {
    const flooder = new Client(baseUrl, { ip: "203.0.113.70" });
    let flooding = true;
    const tally = {};
    const worker = async (w) => {
      for (let i = 0; flooding; i++) {
        const res =
          i % 2
            ? await flooder.post("/signup", { email: "abuse-admin@example.com", password: `flooding password ${w}` })
            : await flooder.post("/login", { email: `nobody-${w}-${i}@example.com`, password: "flooding password" });
        tally[res.status] = (tally[res.status] ?? 0) + 1;
      }
    };
    const workers = Array.from({ length: 20 }, (_, w) => worker(w));
    await sleep(500);
    const outcomes = [];
    for (let i = 0; i < 5; i++) {
      const recipient = new Client(baseUrl, { ip: `198.51.100.${60 + i}` });
      const res = await recipient.post(`/share/${locked.slug}`, { password: LINK_PASSWORD });
      outcomes.push(res.status);
    }
    flooding = false;
    await Promise.all(workers);
    assert.deepEqual(outcomes, Array(5).fill(303), "every correct unlock got in");
    assert.ok(!tally[500], "no 500 in the flood");
    figures.hashFlood = tally;
  });
});

describe("expensive views", () => {
  it("a client flooding one link with made-up filters gets 429s, never 5xx, while other pages keep answering", async () => {
    const idle = {
      other: await timeGets(baseUrl, `/share/${bystander.slug}`, 20),
      health: await timeGets(baseUrl, "/healthz", 20),
      admin: await timeGets(baseUrl, `/sites/${OTHER_DOMAIN}`, 20, { Cookie: admin.cookieHeader(), "X-Forwarded-For": "10.90.0.1" }),
    };
    let flooding = true;
    const tally = {};
    const flood = Array.from({ length: 30 }, async (_, c) => {
      for (let i = 0; flooding; i++) {
        const res = await fetch(`${baseUrl}/share/${open.slug}?f=page,contains,/made-up-${c}-${i}-${Math.random()}`, { headers: { "X-Forwarded-For": "203.0.113.80" } });
        await res.arrayBuffer();
        tally[res.status] = (tally[res.status] ?? 0) + 1;
      }
    });
    await sleep(300);
    const during = {
      other: await timeGets(baseUrl, `/share/${bystander.slug}`, 20),
      health: await timeGets(baseUrl, "/healthz", 20),
      admin: await timeGets(baseUrl, `/sites/${OTHER_DOMAIN}`, 20, { Cookie: admin.cookieHeader(), "X-Forwarded-For": "10.90.0.1" }),
    };
    flooding = false;
    await Promise.all(flood);
    assert.ok(tally[429] > 0, `the flood was limited: ${JSON.stringify(tally)}`);
    assert.deepEqual(Object.keys(tally).filter((s) => Number(s) >= 500), [], `no 5xx: ${JSON.stringify(tally)}`);
    figures.statsFlood = {
      tally,
      ...Object.fromEntries(Object.keys(idle).map((k) => [k, `${percentiles(idle[k]).p95.toFixed(1)} → ${percentiles(during[k]).p95.toFixed(1)} ms p95`])),
    };
  });
});

describe("redirects", () => {
  const attempts = ["%2F%09%2Fevil.example%2Fphish", "%2F%0A%2Fevil.example", "%2F%5Cevil.example", "%2F%2Fevil.example", "%5C%5Cevil.example", "https%3A%2F%2Fevil.example", "%2F.%2F%2Fevil.example", "%20%2F%2Fevil.example"];

  it("never send a signed-in person to another site from /login?redirectTo=…", async () => {
    for (const attempt of attempts) {
      const res = await admin.get(`/login?redirectTo=${attempt}`);
      assert.equal(res.status, 302, attempt);
      assert.equal(new URL(res.location, baseUrl).origin, new URL(baseUrl).origin, `${attempt} → ${res.location}`);
    }
  });

  it("nor after the login form is posted", async () => {
    for (const attempt of attempts) {
      const client = new Client(baseUrl, { ip: "10.90.3.1" });
      const res = await client.post("/login", { email: "abuse-admin@example.com", password: PASSWORD, redirectTo: decodeURIComponent(attempt) });
      assert.equal(res.status, 302, attempt);
      assert.equal(new URL(res.location, baseUrl).origin, new URL(baseUrl).origin, `${attempt} → ${res.location}`);
    }
  });
});

describe("path spellings", () => {
  it("give every spelling of a share path the share headers, and log none of them with the slug", async () => {
    for (const path of [`/SHARE/${open.slug}`, `/Share/${open.slug}?embed=true`, `/%73hare/${open.slug}`, `/x/../share/${open.slug}`, `/share/${open.slug}`]) {
      const res = await rawRequest(baseUrl, { path });
      assert.ok(res.status < 500, `${path}: ${res.status}`);
      assert.equal(res.headers["referrer-policy"], "no-referrer", path);
      assert.equal(res.headers["x-robots-tag"], "noindex, nofollow", path);
    }
    await sleep(200);
    assert.ok(!serverLog().includes(open.slug), "no spelling put the slug in the log");
  });

  it("do not lend the ingestion exemption to /api/event/../sites/…", async () => {
    const before = (await admin.get(`/sites/${DOMAIN}/settings/visibility`)).body.match(/Sneaky/g)?.length ?? 0;
    const body = new URLSearchParams({ name: "Sneaky", password: "", segmentId: "" }).toString();
    const forged = await rawRequest(baseUrl, {
      method: "POST",
      path: `/api/event/../sites/${DOMAIN}/settings/visibility`,
      body,
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: admin.cookieHeader(), Origin: "https://evil.example", "X-Forwarded-For": "10.90.0.1" },
    });
    assert.equal(forged.status, 403);
    const tool = await rawRequest(baseUrl, { method: "POST", path: `/api/event/../sites/${DOMAIN}/settings/visibility`, body, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    assert.ok(tool.status < 500, `a tool without cookies gets ${tool.status}`);
    const after = (await admin.get(`/sites/${DOMAIN}/settings/visibility`)).body.match(/Sneaky/g)?.length ?? 0;
    assert.equal(after, before, "no link was created");
  });
});

describe("caching", () => {
  it("marks authenticated pages no-store", async () => {
    for (const path of ["/", `/sites/${DOMAIN}`, `/sites/${DOMAIN}/settings/visibility`, "/account/api-keys", "/login", `/share/${open.slug}`]) {
      const res = await admin.get(path);
      assert.match(res.headers.get("cache-control") ?? "", /no-store/, path);
    }
    const asset = await admin.get("/js/script.js");
    assert.doesNotMatch(asset.headers.get("cache-control") ?? "", /no-store/);
  });
});

describe("a server of its own", () => {
  let server;
  before(async () => {
    // Production defaults: no proxy trusted, the demo seed left on, and a low event limit to reach.
    server = await startServer({ root, label: "abuse-defaults", logPath: join(artifacts, "abuse-defaults.log"), extraEnv: { SEED: "true", INGEST_MAX_PER_MINUTE: "60" } });
    cleanups.push(() => server.stop());
  });

  it("never creates the demo account in production", async () => {
    const client = new Client(server.baseUrl);
    assert.equal((await client.post("/login", { email: "demo@glimpse.local", password: "demo-password-2026" })).status, 401);
    assert.doesNotMatch(readFileSync(join(artifacts, "abuse-defaults.log"), "utf8"), /Demo ready|demo-password/);
  });

  it("ignores X-Forwarded-For when no proxy is trusted, so rotating it does not reset a limit", async () => {
    await signUp(new Client(server.baseUrl), "rotate@example.com", PASSWORD);
    for (let i = 0; i < 10; i++) {
      const res = await new Client(server.baseUrl, { ip: `198.18.0.${i}` }).post("/login", { email: "rotate@example.com", password: `rotating ${i}` });
      assert.equal(res.status, 401);
    }
    const res = await new Client(server.baseUrl, { ip: "198.18.1.1" }).post("/login", { email: "rotate@example.com", password: PASSWORD });
    assert.equal(res.status, 429);
  });

  it("limits events per address", async () => {
    const client = new Client(server.baseUrl, { headers: { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36" } });
    const send = () => client.request("/api/event", { json: { name: "pageview", url: "https://unknown.example/", domain: "unknown.example", referrer: "" }, cookies: false });
    // Ten seconds' worth at once (10 of 60 a minute), then 429 with the time to wait; the refusal
    // itself is sent after a pause.
    for (let i = 0; i < 10; i++) assert.equal((await send()).status, 404, `event ${i + 1}`);
    const started = Date.now();
    const refused = await send();
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    assert.ok(Date.now() - started >= 900, "the refusal came after a pause");
  });
});

describe("behind a proxy that rewrites Host (nginx's default proxy_pass)", () => {
  let proxyUrl;
  let browser;
  before(async () => {
    const proxyPort = await freePort();
    proxyUrl = `http://localhost:${proxyPort}`;
    const upstream = await startServer({ root, label: "abuse-proxied", logPath: join(artifacts, "abuse-proxied.log"), extraEnv: { PUBLIC_URL: proxyUrl } });
    cleanups.push(() => upstream.stop());
    const target = new URL(upstream.baseUrl);
    const proxy = createServer((req, res) => {
      const forward = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on("error", () => res.writeHead(502).end());
      req.pipe(forward);
    });
    await new Promise((resolve) => proxy.listen(proxyPort, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => proxy.close(resolve)));
    browser = await launchBrowser();
    cleanups.push(() => browser.close());
  });

  for (const javaScriptEnabled of [false, true]) {
    it(`signs up, adds a site and logs in again through forms (JavaScript ${javaScriptEnabled ? "on" : "off"})`, async () => {
      const context = await browser.newContext({ javaScriptEnabled });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const email = `proxied-${javaScriptEnabled ? "js" : "nojs"}@example.com`;
      await page.goto(`${proxyUrl}/signup`);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: /sign up/i }).click();
      // A new account has no sites yet, so it lands on the form to add one.
      await page.waitForURL(`${proxyUrl}/sites/new`);
      await page.getByLabel("Domain").fill(`proxied-${javaScriptEnabled ? "js" : "nojs"}.example`);
      await page.getByRole("button", { name: /add site/i }).click();
      await page.waitForURL(/\/sites\/proxied-/);
      await context.clearCookies();
      await page.goto(`${proxyUrl}/login`);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: /log in/i }).click();
      await page.waitForURL(`${proxyUrl}/`);
      // With JavaScript the URL changes before the signed-in page has rendered.
      await page.getByText(/proxied-/).first().waitFor();
      assert.match(await page.content(), /proxied-/);
      await context.close();
    });
  }

  it("answers a real cross-site post with 403 and a message, never 500", async () => {
    const form = "email=a%40b.c&password=whatever-it-is";
    const headers = { "Content-Type": "application/x-www-form-urlencoded" };
    const forged = await rawRequest(proxyUrl, { method: "POST", path: "/login", body: form, headers: { ...headers, Origin: "https://evil.example" } });
    assert.equal(forged.status, 403);
    assert.match(forged.body, /Cross-site form submissions are not accepted/);
    const crossSite = await rawRequest(proxyUrl, { method: "POST", path: "/login", body: form, headers: { ...headers, Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" } });
    assert.equal(crossSite.status, 403);
    // The public origin without Sec-Fetch-Site (older browsers) is ours.
    const own = await rawRequest(proxyUrl, { method: "POST", path: "/login", body: form, headers: { ...headers, Origin: proxyUrl } });
    assert.equal(own.status, 401);
  });
});
