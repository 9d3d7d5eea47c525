// Form fuzz (issue 8, item 1): thousands of generated submissions to every form action over HTTP,
// as the owner, as a viewer, as the owner of another site and anonymously. Each answer must be
// below 500; a rejected one (anything but a redirect) must leave the database as it was, and an
// accepted one may only touch the rows of the actor's own site or account.
//
// The server runs on a fresh Postgres database of its own (skipped without Postgres), so the test
// can checksum the tables directly between requests.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import postgres from "postgres";
import { addLink, addSegment, addSite, signUp } from "../lib/admin-http.mjs";
import { changes, Snapshotter, World } from "../lib/fuzz-db.mjs";
import { encodeBody, segment, send } from "../lib/fuzz-http.mjs";
import { actorOf, encoding, field, formBody, garbage, nastyString, pathDomain, pathId, poisoned, ref } from "../lib/fuzz-values.mjs";
import { Client } from "../lib/http.mjs";
import { freshDatabase, launchInstance } from "../lib/server.mjs";

const root = process.env.E2E_ROOT ?? process.cwd();
const artifacts = process.env.E2E_ARTIFACTS ?? join(root, "e2e", ".artifacts");
const PG = process.env.E2E_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const logPath = join(artifacts, "fuzz-forms-server.log");
const PASSWORD = "correct horse battery staple";
const LINK_PASSWORD = "protected link password";
const OWN = "fuzz.example";
const OTHER = "other.example";
/** Multiplies every target's number of runs (FUZZ_SCALE=3 for a longer soak). */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);

async function postgresReachable(url) {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return null;
  } catch (error) {
    return `Postgres is not reachable at ${url} (${error.code ?? error.message}); set E2E_POSTGRES_URL to run the form fuzz`;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

const skip = await postgresReachable(PG);

// ─── Generated values for the forms' real fields ─────────────────────────────────────────────────

// Each field: what a browser submitting the real form could send (good), and edge values (bad);
// formBody mixes them (see fuzz-values.mjs) and adds nasty strings, repeated and unknown keys.
const oneof = (...pairs) => fc.oneof(...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));
const edges = (...values) => fc.constantFrom(...values);

const accountPassword = field(
  oneof([3, fc.constant(PASSWORD)], [1, fc.string({ unit: "grapheme", minLength: 12, maxLength: 40 })]),
  oneof([2, edges("short", "a".repeat(11), "a".repeat(257), " ".repeat(12), "\u0000".repeat(12), "\ud800".repeat(12))], [1, poisoned(fc.constant(PASSWORD))]),
);
const linkPassword = field(
  oneof([3, fc.constant("")], [2, fc.constant(LINK_PASSWORD)], [2, fc.string({ unit: "grapheme", minLength: 12, maxLength: 30 })]),
  oneof([2, edges("short", "a".repeat(11), "a".repeat(257), " ".repeat(12))], [1, poisoned(fc.constant(LINK_PASSWORD))]),
);
const name = field(
  oneof([6, fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 30 })], [3, fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 })], [1, edges("Open", "Protected", "France", "Spare 1", "a".repeat(100))]),
  oneof(
    [2, edges("WordPress - Shared Dashboard", " wordpress - shared dashboard ", "", " ", "a".repeat(101), "é".repeat(101), "🎉".repeat(101))],
    [2, poisoned(fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 20 }))],
  ),
);
const segmentId = field(
  oneof([2, fc.constant("")], [3, ref("segment:own")]),
  oneof([3, ref("segment:other")], [1, ref("uuid:random")], [1, ref("uuid:anyObject")], [1, ref("link:own")], [1, edges("null", "00000000-0000-0000-0000-000000000000")]),
);
const DIMENSIONS = ["page", "entry_page", "source", "referrer", "utm_source", "utm_medium", "utm_campaign", "country", "device", "browser", "os"];
const filterFields = (n) => ({
  [`filters.${n}.dimension`]: field(fc.constantFrom(...DIMENSIONS), edges("Page", "page ", "events", "site_id", "__proto__", "")),
  [`filters.${n}.operator`]: field(fc.constantFrom("is", "is_not", "contains"), edges("IS", "isnt", "like", "=", "")),
  [`filters.${n}.value`]: field(
    oneof([3, edges("FR", "FR, DE", "/pricing", "Direct / None", "Desktop")], [2, fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 })]),
    oneof([2, edges(",,,", " , ", "a,".repeat(25), "a".repeat(501), "%", "_", "\\", "' OR 1=1 --")], [1, poisoned(fc.constant("FR"))]),
  ),
});
const segmentBody = formBody({
  name,
  rows: field(oneof([3, fc.constant("1")], [1, fc.integer({ min: 1, max: 3 }).map(String)]), edges("0", "-1", "11", "1e9", "NaN", "", "1.5", "0x10")),
  ...filterFields(0),
  ...filterFields(1),
  ...filterFields(2),
  intent: field(fc.constant("save"), edges("add-row", "remove-row-0", "remove-row-1", "remove-row-9", "remove-row--1", "remove-row-99999999999999999999", "SAVE", "")),
});
const linkBody = formBody({ name, password: linkPassword, segmentId });

const ADMIN_ACTORS = { owner: 6, viewer: 1, stranger: 2, anonymous: 1, garbage: 1 };
const GARBAGE_COOKIES = [
  "glimpse_session=",
  "glimpse_session=x",
  `glimpse_session=${"a".repeat(4000)}`,
  "glimpse_session=%00%ff; glimpse_session=again",
  "glimpse_session=eyJ0b2tlbiI6IngifQ%3D%3D.forged",
  "glimpse_session=\"quoted\"; glimpse_unlock=%7B%7D",
  "=; ;;; glimpse_session",
];

// ─── The actions ─────────────────────────────────────────────────────────────────────────────────
//
// path: from the generated path arguments to { path, domain } (domain: the site the route works on).
// success: what an accepted request may change, as a predicate over changed entries (see fuzz-db).
// always: what any request may change, accepted or not.
// admin: the action needs the admin role on `domain`; a redirect without it is a failure.

const siteSuccess = (e, ctx) => ["owner", "admin"].includes(ctx.role) && e.scope === ctx.siteId;

const TARGETS = [
  {
    name: "signup",
    route: "routes/signup",
    runs: 240,
    actors: { anonymous: 4, owner: 1, garbage: 1 },
    path: () => ({ path: "/signup" }),
    body: formBody({
      email: field(ref("email:fresh"), oneof([2, ref("email:any")], [1, fc.emailAddress()], [1, poisoned(ref("email:fresh"))], [1, edges("a@b", "@", "a".repeat(250) + "@x.io", " UPPER@FUZZ.TEST ")])),
      password: accountPassword,
    }),
    success: (e) => e.table === "users" && e.isNew,
  },
  {
    name: "login",
    route: "routes/login",
    runs: 220,
    actors: { anonymous: 4, owner: 1, garbage: 1 },
    path: () => ({ path: "/login" }),
    body: formBody({
      redirectTo: field(fc.constantFrom("/", "/sites/fuzz.example", "/account/api-keys"), edges("//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "/%2F%2Fevil.example", "\\\\evil.example", "")),
      email: field(oneof([3, ref("email:any")], [1, ref("email:owner")]), oneof([1, ref("email:fresh")], [1, poisoned(ref("email:owner"))])),
      password: field(fc.constant(PASSWORD), oneof([2, edges("", "wrong password 1", "a".repeat(1025))], [1, poisoned(fc.constant(PASSWORD))])),
    }),
    success: () => false,
    onSuccess: (res, failures) => {
      if (!/^\/(?![/\\])/.test(res.location ?? "")) failures.push({ kind: "open redirect after login", detail: `Location: ${res.location}` });
    },
  },
  {
    name: "sites/new",
    route: "routes/sites.new",
    runs: 220,
    actors: { owner: 4, viewer: 1, stranger: 1, anonymous: 1, garbage: 1 },
    path: () => ({ path: "/sites/new" }),
    body: formBody({
      domain: field(oneof([4, ref("domain:fresh")], [1, fc.domain()]), oneof([2, ref("domain:taken")], [1, poisoned(ref("domain:fresh"))], [1, edges("localhost", "-a.com", "a..b", "xn--.com", "a".repeat(64) + ".com", `${"a.".repeat(130)}com`, "http://", "1.2.3.4")])),
      timezone: field(fc.constantFrom("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"), edges("utc", "Mars/Olympus", "Etc/GMT+99", "", "a".repeat(65))),
    }),
    success: (e, ctx) => Boolean(ctx.actor.userId) && ["sites", "site_memberships"].includes(e.table) && e.isNew,
  },
  {
    name: "settings/general (members)",
    route: "routes/sites.$domain.settings.general",
    runs: 260,
    admin: true,
    actors: ADMIN_ACTORS,
    args: pathDomain,
    path: (domain) => ({ path: `/sites/${segment(domain)}/settings/general`, domain }),
    body: fc.oneof(
      formBody({
        intent: field(fc.constant("add-member"), edges("ADD-MEMBER", "remove-member ", "")),
        email: field(ref("email:pool"), oneof([1, ref("email:self")], [1, ref("email:owner")], [1, ref("email:any")], [1, ref("email:fresh")], [1, poisoned(ref("email:pool"))])),
        role: field(fc.constantFrom("viewer", "admin"), edges("owner", "Owner", "ADMIN", "viewer ", "", "superuser")),
      }),
      formBody({
        intent: field(fc.constant("remove-member"), edges("Remove-member", "remove-member\u0000", "")),
        userId: field(ref("member:own"), oneof([2, ref("user:any")], [1, ref("uuid:random")], [1, edges("", "null", "00000000-0000-0000-0000-000000000000")])),
      }),
    ),
    success: siteSuccess,
  },
  {
    name: "segments (create)",
    route: "routes/sites.$domain.settings.segments",
    runs: 300,
    admin: true,
    actors: ADMIN_ACTORS,
    args: pathDomain,
    path: (domain) => ({ path: `/sites/${segment(domain)}/settings/segments`, domain }),
    body: segmentBody,
    success: siteSuccess,
  },
  {
    name: "segments/:id/edit",
    route: "routes/sites.$domain.settings.segments_.$id.edit",
    runs: 260,
    admin: true,
    actors: ADMIN_ACTORS,
    args: fc.tuple(pathDomain, pathId("segment:own", "segment:other")),
    path: ([domain, id]) => ({ path: `/sites/${segment(domain)}/settings/segments/${segment(id)}/edit`, domain }),
    body: segmentBody,
    success: siteSuccess,
  },
  {
    name: "visibility (create link)",
    route: "routes/sites.$domain.settings.visibility",
    runs: 280,
    admin: true,
    actors: ADMIN_ACTORS,
    args: pathDomain,
    path: (domain) => ({ path: `/sites/${segment(domain)}/settings/visibility`, domain }),
    body: linkBody,
    success: siteSuccess,
    onSuccess: (res, failures, pairs, world) => {
      const password = pairs.find(([k]) => k === "password")?.[1];
      if (typeof password === "string" && password) world.linkPasswords.add(password);
    },
  },
  {
    name: "shared-links/:id/edit",
    route: "routes/sites.$domain.settings.visibility_.shared-links.$id.edit",
    runs: 280,
    admin: true,
    actors: ADMIN_ACTORS,
    args: fc.tuple(pathDomain, pathId("link:own", "link:other")),
    path: ([domain, id]) => ({ path: `/sites/${segment(domain)}/settings/visibility/shared-links/${segment(id)}/edit`, domain }),
    body: formBody({
      name,
      passwordAction: field(fc.constantFrom("keep", "replace", "remove"), edges("KEEP", "delete", "remove ", "")),
      password: linkPassword,
      segmentId,
    }),
    success: siteSuccess,
    onSuccess: (res, failures, pairs, world) => {
      const password = pairs.find(([k]) => k === "password")?.[1];
      if (typeof password === "string" && password) world.linkPasswords.add(password);
    },
  },
  {
    name: "share/:slug (unlock)",
    route: "routes/share.$slug",
    runs: 260,
    actors: { anonymous: 4, owner: 1, stranger: 1, garbage: 1 },
    args: fc.tuple(
      fc.oneof(
        { weight: 5, arbitrary: ref("slug:protected") },
        { weight: 2, arbitrary: ref("slug:open") },
        { weight: 1, arbitrary: ref("slug:other") },
        { weight: 1, arbitrary: ref("slug:random") },
        { weight: 1, arbitrary: nastyString.map((s) => s.slice(0, 1500)) },
      ),
      fc.constantFrom("", "", "", "?period=7d", "?embed=1", "?f=country.is.FR", "?period=%ff&period=x"),
    ),
    path: ([slug, query]) => ({ path: `/share/${segment(slug)}${query}` }),
    body: formBody({
      password: field(oneof([3, ref("password:link")], [1, fc.constant(LINK_PASSWORD)]), oneof([2, edges("", "wrong password", "a".repeat(257), "a".repeat(100_000))], [1, poisoned(fc.constant(LINK_PASSWORD))])),
    }),
    success: () => false,
    always: (e) => e.table === "shared_links.unlock_counters",
  },
  {
    name: "account/api-keys",
    route: "routes/account.api-keys",
    runs: 260,
    actors: { owner: 3, viewer: 1, stranger: 1, anonymous: 1, garbage: 1 },
    path: () => ({ path: "/account/api-keys" }),
    body: fc.oneof(
      formBody({
        intent: field(fc.constant("create"), edges("CREATE", "revoke ", "")),
        name,
        integration: field(fc.constantFrom("on", "on"), edges("true", "1", "off", "", "on\u0000")),
      }),
      formBody({
        intent: field(fc.constant("revoke"), edges("REVOKE", "revoke ", "")),
        id: field(ref("apikey:self"), oneof([3, ref("apikey:other")], [1, ref("uuid:random")], [1, edges("", "null", "00000000-0000-0000-0000-000000000000")])),
      }),
    ),
    success: (e, ctx) => Boolean(ctx.actor.userId) && e.table === "api_keys" && e.scope === ctx.actor.userId,
    account: true,
  },
  {
    name: "api/event",
    route: "routes/api.event",
    runs: 260,
    actors: { anonymous: 5, owner: 1 },
    path: () => ({ path: "/api/event" }),
    // The tracker's JSON payload as text/plain (no preflight), or anything else.
    event: fc.record({
      payload: fc.oneof(
        {
          weight: 4,
          arbitrary: formBody({
            name: field(fc.constantFrom("pageview", "Signup", "Download"), edges("", "a".repeat(121), "page\u0000view")),
            url: field(
              oneof([3, fc.constantFrom("https://fuzz.example/", "https://fuzz.example/pricing?utm_source=x", "http://other.example/a")], [1, fc.webUrl()]),
              edges("", "fuzz.example/", "javascript:alert(1)", "https://", "file:///etc/passwd", `https://fuzz.example/${"a".repeat(17_000)}`),
            ),
            domain: field(fc.constantFrom(OWN, OTHER, "FUZZ.EXAMPLE", "www.fuzz.example"), edges("missing.example", "", "fuzz.example\u0000")),
            referrer: field(fc.constantFrom("", "https://google.com/", "android-app://com.example"), edges("not a url", "javascript:alert(1)", "a".repeat(3000))),
          }).map((pairs) => JSON.stringify(Object.fromEntries(pairs))),
        },
        { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((props) => JSON.stringify({ n: "pageview", u: "https://fuzz.example/", d: OWN, p: props })) },
        { weight: 1, arbitrary: nastyString },
      ),
      type: fc.constantFrom("text/plain", "text/plain", "text/plain", "application/json", "application/x-www-form-urlencoded", "multipart/form-data", null),
      userAgent: fc.constantFrom(undefined, undefined, undefined, "", "curl/8.5.0", "Googlebot/2.1", "Mozilla/5.0 \u00e9"),
    }),
    success: (e) => ["events", "visits"].includes(e.table),
  },
  {
    name: "shared-links/:id/delete",
    route: "routes/sites.$domain.settings.visibility_.shared-links.$id.delete",
    runs: 130,
    admin: true,
    actors: ADMIN_ACTORS,
    args: fc.tuple(pathDomain, pathId("link:own", "link:other")),
    path: ([domain, id]) => ({ path: `/sites/${segment(domain)}/settings/visibility/shared-links/${segment(id)}/delete`, domain }),
    body: formBody({ intent: field(fc.constant("delete")) }),
    success: siteSuccess,
  },
  {
    name: "segments/:id/delete",
    route: "routes/sites.$domain.settings.segments_.$id.delete",
    runs: 130,
    admin: true,
    actors: ADMIN_ACTORS,
    args: fc.tuple(pathDomain, pathId("segment:own", "segment:other")),
    path: ([domain, id]) => ({ path: `/sites/${segment(domain)}/settings/segments/${segment(id)}/delete`, domain }),
    body: formBody({ intent: field(fc.constant("delete")) }),
    success: siteSuccess,
  },
  {
    name: "logout",
    route: "routes/logout",
    runs: 100,
    actors: { throwaway: 3, anonymous: 2, garbage: 1 },
    path: () => ({ path: "/logout" }),
    body: formBody({}),
    success: () => false,
  },
];

// Fully random bodies (random keys and values, any encoding) at every action, by any actor.
TARGETS.push({
  name: "random bodies, every action",
  runs: 300,
  random: true,
  actors: { owner: 3, viewer: 1, stranger: 1, anonymous: 1, garbage: 1 },
  args: fc.constantFrom(...TARGETS.filter((t) => !t.event).map((t) => t.name)).chain((target) => {
    const t = TARGETS.find((x) => x.name === target);
    return fc.tuple(fc.constant(target), t.args ?? fc.constant(null));
  }),
  body: fc.array(fc.tuple(nastyString, nastyString), { maxLength: 8 }),
});

// ─── The run ─────────────────────────────────────────────────────────────────────────────────────

const totals = { inputs: 0, serverErrors: 0, partialWrites: 0, accepted: 0, ms: 0, checkMs: 0, snapshots: 0 };
const perTarget = new Map();

if (skip) {
  describe("form fuzz over HTTP (issue 8)", () => {
    it("needs Postgres", { skip }, () => {});
  });
} else describe("form fuzz over HTTP (issue 8)", () => {
  let db;
  let server;
  let sql;
  let world;
  let snapshots;
  let baseline;
  let mark;
  const actors = {};
  const throwaway = [];
  let previous = "";
  const started = Date.now();

  before(async () => {
    writeFileSync(logPath, "");
    db = await freshDatabase(PG, "fuzz-forms");
    server = await launchInstance({
      root,
      logPath,
      dbEnv: db.env,
      secret: randomBytes(32).toString("hex"),
      // Unlocks are limited per link: a higher limit keeps the password check reachable.
      extraEnv: { TRUST_PROXY: "true", UNLOCK_MAX_ATTEMPTS: "1000", UNLOCK_WINDOW_MINUTES: "15" },
    });
    sql = postgres(db.env.DATABASE_URL, { max: 2, onnotice: () => {} });

    // Set-up through the forms: the owner's site with segments, open and protected links and an
    // API key; a viewer on it; another owner with a site of their own; people to add as members.
    const client = (ip) => new Client(server.baseUrl, { ip });
    const owner = client("10.1.0.1");
    const viewer = client("10.1.0.2");
    const stranger = client("10.1.0.3");
    await signUp(owner, "owner@fuzz.test", PASSWORD);
    await signUp(viewer, "viewer@fuzz.test", PASSWORD);
    await signUp(stranger, "stranger@fuzz.test", PASSWORD);
    const pool = [];
    for (let i = 1; i <= 6; i++) {
      const email = `pool${i}@fuzz.test`;
      await signUp(client(`10.1.1.${i}`), email, PASSWORD);
      pool.push(email);
    }
    await addSite(owner, OWN);
    await addSite(stranger, OTHER);
    const res = await owner.post(`/sites/${OWN}/settings/general`, { intent: "add-member", email: "viewer@fuzz.test", role: "viewer" });
    assert.equal(res.status, 302, "viewer added");
    for (const [who, domain] of [[owner, OWN], [stranger, OTHER]]) {
      const france = await addSegment(who, domain, "France", [{ dimension: "country", operator: "is", value: "FR" }]);
      await addSegment(who, domain, "Pricing", [{ dimension: "page", operator: "contains", value: "/pricing" }]);
      await addLink(who, domain, { name: "Open" });
      await addLink(who, domain, { name: "Protected", password: LINK_PASSWORD });
      await addLink(who, domain, { name: "France only", segmentId: france.id });
      for (const n of [1, 2]) {
        const key = await who.post("/account/api-keys", { intent: "create", name: `${domain} key ${n}` });
        assert.equal(key.status, 302, "API key created");
      }
    }
    // Spares, so the delete actions cannot run out of valid targets.
    for (let i = 0; i < 12; i++) {
      await addLink(owner, OWN, { name: `Spare ${i}`, password: i % 3 ? "" : LINK_PASSWORD });
      await addSegment(owner, OWN, `Spare ${i}`, [{ dimension: "device", operator: "is", value: "Desktop" }]);
    }

    const session = (c) => `glimpse_session=${c.cookie("glimpse_session")}`;
    const ids = Object.fromEntries((await sql`select email, id::text from users`).map((u) => [u.email, u.id]));
    Object.assign(actors, {
      owner: { userId: ids["owner@fuzz.test"], email: "owner@fuzz.test", cookie: session(owner) },
      viewer: { userId: ids["viewer@fuzz.test"], email: "viewer@fuzz.test", cookie: session(viewer) },
      stranger: { userId: ids["stranger@fuzz.test"], email: "stranger@fuzz.test", cookie: session(stranger) },
      anonymous: {},
    });
    world = new World(sql, { ownDomain: OWN, otherDomain: OTHER, actors, accountPassword: PASSWORD });
    world.pool = pool;
    world.linkPasswords.add(LINK_PASSWORD);
    await world.refresh();
    snapshots = new Snapshotter(sql);
    mark = await writeMark();
    baseline = await snapshots.take();
  });

  after(async () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    for (const [name, s] of perTarget) {
      const statuses = Object.entries(s.statuses)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([k, v]) => `${k}×${v}`)
        .join(" ");
      console.log(`  ${name.padEnd(30)} ${String(s.inputs).padStart(4)} inputs  ${String(s.accepted).padStart(3)} accepted  ${statuses}`);
    }
    console.log(`form fuzz: ${totals.inputs} inputs, ${totals.serverErrors} 5xx, ${totals.partialWrites} partial writes (${seconds} s: ${(totals.ms / 1000).toFixed(1)} s in requests, ${(totals.checkMs / 1000).toFixed(1)} s in ${totals.snapshots} snapshots)`);
    await sql?.end({ timeout: 2 }).catch(() => {});
    await server?.stop().catch(() => {});
    await db?.drop().catch(() => {});
  });

  async function writeMark() {
    const [{ mark: m }] = await sql`select pg_snapshot_xmax(pg_current_snapshot())::text as mark`;
    return m;
  }

  /** Sends one generated case and checks it; returns the failures it found. */
  async function runCase(target, c) {
    const failures = [];
    const t = c.random ? TARGETS.find((x) => x.name === c.args[0]) : target;
    const args = c.random ? c.args[1] : c.args;
    let actor = actors[c.actor];
    let cookie = actor?.cookie;
    if (c.actor === "garbage") {
      actor = {};
      cookie = c.garbageCookie;
    } else if (c.actor === "throwaway") {
      actor = {};
      cookie = throwaway.pop();
    }
    const resolve = (v) => world.resolve(v, actor);
    const { path: rawPath, domain: rawDomain } = t.path(resolveDeep(args, resolve));
    // As a browser with JavaScript submits: a single-fetch ".data" request, or the older "?_data=".
    const q = rawPath.indexOf("?");
    const [pathname, query] = q < 0 ? [rawPath, ""] : [rawPath.slice(0, q), rawPath.slice(q)];
    const path =
      c.data === ".data" && !t.event
        ? `${pathname}.data${query}`
        : c.data === "_data" && !t.event
          ? `${pathname}${query || "?"}${query ? "&" : ""}_data=${encodeURIComponent(t.route)}`
          : rawPath;
    const role = actor.userId && rawDomain !== undefined ? world.roleOf(actor.userId, rawDomain) : null;
    const ctx = { actor, role, siteId: world.siteIdOf(rawDomain) };

    let request;
    let pairs = [];
    if (t.event && !c.random) {
      request = { body: c.event.payload, type: c.event.type, userAgent: c.event.userAgent };
    } else {
      pairs = c.body.map(([k, v]) => [String(resolve(k)), String(resolve(v))]);
      const { body, type } = encodeBody(pairs, c.encoding, c.garbage);
      request = { body, type };
    }

    let res;
    const sendStarted = performance.now();
    try {
      res = await send(server.baseUrl, { path, cookie, ...request });
    } catch (error) {
      failures.push({
        kind: "no answer",
        detail: `${error.name}: ${error.message}${error.cause ? ` (${error.cause.code ?? error.cause.message})` : ""} after ${Math.round(performance.now() - sendStarted)} ms; previous request: ${previous}`,
      });
      return { failures, describe: () => describeCase(t, c, path, pairs, request) };
    }
    previous = describeCase(t, c, path, pairs, request, res).slice(0, 300);
    totals.ms += res.ms;
    if (process.env.FUZZ_DEBUG && res.ms > 300) console.log(`slow ${Math.round(res.ms)} ms: ${describeCase(t, c, path, pairs, request, res)}`.slice(0, 400));
    const stats = statsFor(target.name);
    stats.inputs += 1;
    stats.statuses[res.status] = (stats.statuses[res.status] ?? 0) + 1;
    totals.inputs += 1;

    if (res.status >= 500) {
      totals.serverErrors += 1;
      const how = t.event && !c.random ? `${request.type ?? "no"} content type` : `${c.encoding} body`;
      failures.push({ kind: `${res.status} answer (${how})`, detail: snippet(res.body) });
    }
    const toLogin = /^\/login(\?|$)/.test(res.location ?? "") && t.name !== "logout";
    const accepted = t.event ? res.status === 202 : res.redirect && !toLogin;
    if (accepted) {
      stats.accepted += 1;
      totals.accepted += 1;
      if (t.admin && !["owner", "admin"].includes(role)) failures.push({ kind: "accepted without the admin role", detail: `role ${role}, Location ${res.location}` });
      if (t.account && !actor.userId) failures.push({ kind: "accepted without a session", detail: `Location ${res.location}` });
      t.onSuccess?.(res, failures, pairs, world);
    }
    for (const line of res.setCookies) {
      const session = /^glimpse_session=([^;]+)/.exec(line)?.[1];
      if (session && throwaway.length < 50) throwaway.push(`glimpse_session=${session}`);
    }

    // The database: nothing may have changed but what the outcome allows.
    // The mark is read before the snapshot, so a write that lands in between shows up next time.
    const checkStarted = performance.now();
    const now = await writeMark();
    if (now !== mark) {
      totals.snapshots += 1;
      const next = await snapshots.take();
      const changed = changes(baseline, next);
      const forbidden = changed.filter((e) => !(t.always?.(e, ctx) || (accepted && t.success(e, ctx))));
      if (forbidden.length > 0) {
        totals.partialWrites += 1;
        failures.push({
          kind: accepted ? "write outside the actor's scope" : "rejected input changed the database",
          detail: `status ${res.status}; changed ${forbidden.map((e) => `${e.table}${e.isNew ? " (new)" : e.gone ? " (gone)" : ""}`).join(", ")}`,
        });
      }
      if (changed.length > 0) await world.refresh();
      baseline = next;
      mark = now;
    }
    totals.checkMs += performance.now() - checkStarted;
    return { failures, describe: () => describeCase(t, c, path, pairs, request, res) };
  }

  function statsFor(name) {
    if (!perTarget.has(name)) perTarget.set(name, { inputs: 0, accepted: 0, statuses: {} });
    return perTarget.get(name);
  }

  TARGETS.forEach((target, index) => {
    if (process.env.FUZZ_ONLY && !target.name.includes(process.env.FUZZ_ONLY)) return;
    const runs = Math.max(1, Math.round(target.runs * SCALE));
    it(`${target.name}: ${runs} generated submissions, no 5xx, no partial write`, { timeout: 10 * 60_000 }, async () => {
      const found = new Map();
      const record = fc.record({
        actor: actorOf(target.actors),
        garbageCookie: fc.constantFrom(...GARBAGE_COOKIES),
        args: target.args ?? fc.constant(null),
        body: target.body ?? fc.constant([]),
        event: target.event ?? fc.constant(null),
        encoding,
        garbage,
        data: fc.constantFrom(null, null, null, null, null, null, ".data", "_data"),
        random: fc.constant(Boolean(target.random)),
      });
      await fc.assert(
        fc.asyncProperty(record, async (c) => {
          const { failures, describe: describeIt } = await runCase(target, c);
          for (const failure of failures) {
            const entry = found.get(failure.kind) ?? { count: 0, examples: [] };
            entry.count += 1;
            if (entry.examples.length < 3) entry.examples.push(`${failure.detail}\n      ${describeIt()}`);
            found.set(failure.kind, entry);
          }
          // Failures are collected, not thrown: one run reports every kind of failure it meets.
          return true;
        }),
        { seed: 0x6c1a + index * 7919, numRuns: runs },
      );
      const report = [...found].map(([kind, { count, examples }]) => `  ✖ ${kind} (${count}×)\n${examples.map((e) => `    - ${e}`).join("\n")}`);
      assert.equal(report.length, 0, `${target.name}:\n${report.join("\n")}`);
    });
  });

  // Found by this fuzz: an action that never reads its body (logout, the delete confirmations)
  // answers before a large body is through, and the rest of it is left on the keep-alive
  // connection: the next request on it (another user's, behind a pooling proxy) waits ~5 s and is
  // reset. The fuzz itself uses one connection per request; this test keeps the finding visible.
  it("a large body the action does not read leaves the keep-alive connection usable", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const { hostname, port } = new URL(server.baseUrl);
    const request = (method, path, body, headers = {}) =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: hostname, port, method, path, agent, headers, timeout: 10_000 }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode }));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error("timed out")));
        req.end(body);
      });
    try {
      const body = `x=${"a".repeat(300_000)}`;
      const headers = { "Content-Type": "application/x-www-form-urlencoded", Origin: server.baseUrl, "Sec-Fetch-Site": "same-origin" };
      for (const path of ["/logout", `/sites/${OWN}/settings/segments/${world.resolve({ ref: "segment:own", i: 0 })}/delete`]) {
        assert.ok((await request("POST", path, body, { ...headers, Cookie: path === "/logout" ? "" : actors.viewer.cookie })).status < 500);
        const started = performance.now();
        const next = await request("GET", "/healthz").catch((error) => ({ error: `${error.code ?? error.message}` }));
        const ms = Math.round(performance.now() - started);
        assert.ok(next.status === 200 && ms < 2_000, `GET /healthz after a 300 kB POST ${path.replace(/[0-9a-f-]{36}/, ":id")}: ${next.status ?? next.error} after ${ms} ms`);
      }
    } finally {
      agent.destroy();
    }
  });

  it("the server log holds no 5xx answer", () => {
    const lines = readFileSync(logPath, "utf8").split("\n").filter((line) => line.includes('"status":5'));
    assert.deepEqual(lines.slice(0, 10), [], `${lines.length} requests answered 5xx`);
  });
});

function resolveDeep(value, resolve) {
  if (Array.isArray(value)) return value.map((v) => resolveDeep(v, resolve));
  return resolve(value);
}

function snippet(text, max = 200) {
  const flat = String(text)
    .replace(/<script[\s\S]*?<\/script>/gi, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function show(value, max = 120) {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}

function describeCase(t, c, path, pairs, request, res) {
  const body = t.event && !c.random ? `body ${show(request.body)} as ${request.type}` : `${c.encoding} ${show(pairs.map(([k, v]) => [show(k, 40), show(v, 60)]), 400)}`;
  return `${c.actor} POST ${show(path, 160)} ${body}${res ? ` → ${res.status}${res.location ? ` ${res.location}` : ""}` : ""}`;
}
