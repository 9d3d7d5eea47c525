// Internal tools (issue 6): the typed client and the links CLI against the production server,
// with API keys created on the API keys page.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { before, describe, it } from "node:test";
import { promisify } from "node:util";
import { createGlimpseClient, TRPCClientError } from "../../server/client.ts";
import { addLink, addSite, signUp } from "../lib/admin-http.mjs";
import { Client } from "../lib/http.mjs";

const run = promisify(execFile);
const baseUrl = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000";
const root = process.env.E2E_ROOT ?? process.cwd();
const PASSWORD = "correct horse battery staple";
const owner = new Client(baseUrl, { ip: "10.40.0.1" });
const stranger = new Client(baseUrl, { ip: "10.40.0.2" });
const SITE = "api.example";

async function createKey(client, name) {
  const res = await client.post("/account/api-keys", { intent: "create", name });
  assert.equal(res.status, 302);
  const page = await client.get("/account/api-keys");
  const key = /glk_[A-Za-z0-9_-]+/.exec(page.body)?.[0];
  assert.ok(key, "the new key is shown once on the page");
  const again = await client.get("/account/api-keys");
  assert.ok(!again.body.includes(key), "and not a second time");
  const id = new RegExp(`name="id" value="([0-9a-f-]{36})"[\\s\\S]*?aria-label="Revoke ${name}"`).exec(page.body)?.[1];
  return { key, id };
}

async function code(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TRPCClientError, `expected a TRPCClientError, got ${error}`);
    return error;
  }
  assert.fail("expected the call to fail");
}

let ownerKey;
let glimpse;

describe("tRPC over HTTP with API keys", () => {
  before(async () => {
    await signUp(owner, "owner@api.example", PASSWORD);
    await addSite(owner, SITE);
    await signUp(stranger, "stranger@api.example", PASSWORD);
    await addSite(stranger, "stranger.example");
    ownerKey = await createKey(owner, "Tooling");
    glimpse = createGlimpseClient({ url: baseUrl, apiKey: ownerKey.key });
  });

  it("creates, lists, updates and deletes links through the typed client", async () => {
    const created = await glimpse.sharedLinks.create.mutate({ site: SITE, name: "From the API", password: "api password 123" });
    assert.equal(created.hasPassword, true);
    assert.match(created.url, new RegExp(`^${baseUrl}/share/[A-Za-z0-9_-]{21}$`));
    assert.equal(typeof created.createdAt, "string");
    const listed = await glimpse.sharedLinks.list.query({ site: SITE });
    assert.deepEqual(listed.map((l) => l.name), ["From the API"]);
    const updated = await glimpse.sharedLinks.update.mutate({ site: SITE, id: created.id, name: "Renamed", password: null });
    assert.equal(updated.name, "Renamed");
    assert.equal(updated.hasPassword, false);
    await glimpse.sharedLinks.delete.mutate({ site: SITE, id: created.id });
    assert.deepEqual(await glimpse.sharedLinks.list.query({ site: SITE }), []);
    assert.ok(!JSON.stringify(listed).includes("argon2"));
  });

  it("keeps codes, messages and field paths, and no stack traces", async () => {
    await glimpse.sharedLinks.create.mutate({ site: SITE, name: "Taken" });
    const conflict = await code(glimpse.sharedLinks.create.mutate({ site: SITE, name: "TAKEN" }));
    assert.equal(conflict.data?.code, "CONFLICT");
    assert.equal(conflict.message, "A shared link named “TAKEN” already exists for this site");
    const invalid = await code(glimpse.sharedLinks.create.mutate({ site: SITE, name: "", password: "short" }));
    assert.equal(invalid.data?.code, "BAD_REQUEST");
    assert.deepEqual(Object.keys(invalid.data?.fieldErrors ?? {}).sort(), ["name", "password"]);
    const slug = await code(glimpse.sharedLinks.create.mutate({ site: SITE, name: "Slugged", slug: "x".repeat(21) }));
    assert.equal(slug.data?.code, "BAD_REQUEST");
    for (const error of [conflict, invalid, slug]) assert.equal(error.data?.stack, undefined);
  });

  it("refuses a form or a stream as a procedure's input with 415 and words a person reads", async () => {
    const form = new FormData();
    form.append("a", "b");
    const bodies = [
      { body: form, headers: {} },
      { body: "abc", headers: { "Content-Type": "application/octet-stream" } },
    ];
    for (const { body, headers } of bodies) {
      const res = await fetch(`${baseUrl}/api/trpc/share.unlock`, { method: "POST", body, headers: { Authorization: `Bearer ${ownerKey.key}`, ...headers } });
      assert.equal(res.status, 415);
      const { error } = await res.json();
      assert.equal(error.message, "Send the input as JSON (Content-Type: application/json): no procedure takes a form or a file.");
      assert.doesNotMatch(error.message, /getReader|append/);
    }
  });

  it("answers NOT_FOUND for a site the key's owner is not a member of", async () => {
    const theirs = await createKey(stranger, "Stranger key");
    const other = createGlimpseClient({ url: baseUrl, apiKey: theirs.key });
    assert.equal((await code(other.sharedLinks.list.query({ site: SITE }))).data?.code, "NOT_FOUND");
    assert.equal((await code(other.sharedLinks.create.mutate({ site: SITE, name: "Intruder" }))).data?.code, "NOT_FOUND");
  });

  it("batches several calls into one request", async () => {
    const input = encodeURIComponent(JSON.stringify({ 0: null, 1: { site: SITE } }));
    const res = await fetch(`${baseUrl}/api/trpc/sites.list,sharedLinks.list?batch=1&input=${input}`, {
      headers: { Authorization: `Bearer ${ownerKey.key}` },
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.length, 2);
    assert.deepEqual(body[0].result.data.map((s) => s.domain), [SITE]);
    assert.ok(Array.isArray(body[1].result.data));
    const [sites, links] = await Promise.all([glimpse.sites.list.query(), glimpse.sharedLinks.list.query({ site: SITE })]);
    assert.equal(sites.length, 1);
    assert.ok(links.length >= 1);
  });

  it("caps a batch at 10 calls: a larger one is refused with 400 before any call runs, over GET and POST", async () => {
    const link = await glimpse.sharedLinks.create.mutate({ site: SITE, name: "Batch target", password: "batch password 123" });
    const batchUrl = (names) => `${baseUrl}/api/trpc/${names.join(",")}?batch=1`;
    const inputs = (list) => JSON.stringify(Object.fromEntries(list.map((input, i) => [i, input])));
    const resolves = Array.from({ length: 200 }, () => ({ slug: link.slug }));
    const get = await fetch(`${batchUrl(resolves.map(() => "share.resolve"))}&input=${encodeURIComponent(inputs(resolves))}`, { headers: { "X-Forwarded-For": "10.40.1.1" } });
    assert.equal(get.status, 400);
    assert.equal((await get.json()).error.message, "A request may carry at most 10 calls, and this one has 200. Send them in smaller batches.");
    const ten = resolves.slice(0, 10);
    const allowed = await fetch(`${batchUrl(ten.map(() => "share.resolve"))}&input=${encodeURIComponent(inputs(ten))}`, { headers: { "X-Forwarded-For": "10.40.1.1" } });
    assert.equal(allowed.status, 200);
    assert.deepEqual((await allowed.json()).map((r) => r.result.data.locked), ten.map(() => true));
    // Eleven wrong passwords in one POST: refused whole, so not one of them is counted.
    const guesses = Array.from({ length: 11 }, (_, i) => ({ slug: link.slug, password: `wrong guess ${i}` }));
    const post = (list, ip) =>
      fetch(batchUrl(list.map(() => "share.unlock")), { method: "POST", headers: { "Content-Type": "application/json", "X-Forwarded-For": ip }, body: inputs(list) });
    const refused = await post(guesses, "10.40.1.2");
    assert.equal(refused.status, 400);
    assert.match((await refused.json()).error.message, /at most 10 calls, and this one has 11/);
    assert.equal((await glimpse.sharedLinks.get.query({ site: SITE, id: link.id })).failedUnlockCount, 0);
    // Within the cap, every call counts against the limits it touches: one network has 10 wrong
    // passwords per link, however they are batched. (Calls in flight count, and one the busy
    // hasher turns away is given back afterwards, so a batch may be refused early, never late.)
    let wrong = 0;
    let limited = 0;
    for (let round = 0; round < 3; round++) {
      const res = await post(guesses.slice(0, 10), "10.40.1.3");
      for (const r of await res.json()) {
        if (r.error?.data?.code === "UNAUTHORIZED") wrong += 1;
        else if (/Too many incorrect passwords from your network/.test(r.error?.message ?? "")) limited += 1;
      }
    }
    assert.ok(wrong >= 1 && wrong <= 10, `${wrong} wrong passwords checked from one network`);
    assert.ok(limited >= 10, `${limited} refused by the network's budget`);
    assert.equal((await glimpse.sharedLinks.get.query({ site: SITE, id: link.id })).failedUnlockCount, wrong);
  });

  it("splits larger batches in the typed client, so callers never meet the cap", async () => {
    const link = await glimpse.sharedLinks.create.mutate({ site: SITE, name: "Batch split", password: "batch password 123" });
    let requests = 0;
    const counted = createGlimpseClient({ url: baseUrl, apiKey: ownerKey.key, fetch: (url, init) => ((requests += 1), fetch(url, init)) });
    const results = await Promise.all(Array.from({ length: 25 }, () => counted.share.resolve.query({ slug: link.slug })));
    assert.deepEqual(results.map((r) => r.locked), Array(25).fill(true));
    assert.equal(requests, 3);
  });

  it("refuses a cookie-authenticated mutation from another origin, allows it from ours", async () => {
    const call = (headers) =>
      owner.request("/api/trpc/sharedLinks.create", { method: "POST", json: { site: SITE, name: `Cookie ${Object.values(headers).join(" ")}` }, headers });
    assert.equal((await call({ Origin: "https://evil.example" })).status, 403);
    assert.equal((await call({ "Sec-Fetch-Site": "cross-site" })).status, 403);
    const same = await call({ Origin: baseUrl, "Sec-Fetch-Site": "same-origin" });
    assert.equal(same.status, 200, same.body);
  });

  it("the links CLI audits what the client created, as JSON", async () => {
    await addLink(owner, SITE, { name: "Protected one", password: "protected password 1" });
    const env = { ...process.env, GLIMPSE_URL: baseUrl, GLIMPSE_API_KEY: ownerKey.key };
    const { stdout } = await run("npx", ["tsx", "scripts/links.ts", "audit", "--site", SITE, "--json"], { cwd: root, env });
    const findings = JSON.parse(stdout);
    const byName = Object.fromEntries(findings.map((f) => [f.link, f.problems]));
    // Every link here is new and never viewed, so each one appears, and nothing else does.
    const names = (await glimpse.sharedLinks.list.query({ site: SITE, includeIntegration: true })).map((l) => l.name);
    assert.deepEqual(Object.keys(byName).sort(), names.sort());
    assert.ok(byName.Taken.includes("no password"));
    assert.ok(byName["Protected one"].includes("never viewed"));
    assert.ok(!byName["Protected one"].includes("no password"));
    const list = await run("npx", ["tsx", "scripts/links.ts", "list", "--site", SITE], { cwd: root, env });
    assert.match(list.stdout, /Protected one\s+Protected/);
    const failed = await run("npx", ["tsx", "scripts/links.ts", "list", "--site", SITE], { cwd: root, env: { ...env, GLIMPSE_API_KEY: "glk_wrong" } }).catch((e) => e);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /UNAUTHORIZED/);
  });

  it("the links CLI creates, updates, pauses and resumes a link's scope", async () => {
    const env = { ...process.env, GLIMPSE_URL: baseUrl, GLIMPSE_API_KEY: ownerKey.key };
    const cli = (...args) => run("npx", ["tsx", "scripts/links.ts", ...args, "--site", SITE, "--json"], { cwd: root, env }).then((r) => JSON.parse(r.stdout));
    const created = await cli("create", "--name", "CLI scoped", "--fixed", "2026-07-01..2026-09-30", "--sections", "series,page,country", "--filters", "no", "--export", "yes");
    assert.deepEqual(created.dateBounds, { kind: "fixed", from: "2026-07-01", to: "2026-09-30" });
    assert.deepEqual(created.visibleSections, ["series", "page", "country"]);
    assert.equal(created.allowFilters, false);
    assert.equal(created.allowExport, true);
    const expires = new Date(Date.now() + 7 * 86400_000).toISOString();
    const updated = await cli("update", "--name", "CLI scoped", "--since", "2026-10-01", "--sections", "all", "--expires", expires);
    assert.deepEqual(updated.dateBounds, { kind: "since", from: "2026-10-01" });
    assert.equal(updated.visibleSections.length, 12);
    assert.equal(updated.expiresAt, expires);
    assert.equal((await cli("pause", "--name", "CLI scoped")).state, "paused");
    assert.equal((await fetch(created.url)).status, 410);
    assert.equal((await cli("resume", "--name", "CLI scoped")).state, "active");
    assert.equal((await fetch(created.url)).status, 200);
    const embed = await cli("embed", "--name", "CLI scoped", "--hours", "2", "--period", "7d");
    assert.match(embed.url, new RegExp(`^${baseUrl}/embed/[\\w-]+\\.[\\w-]+$`));
    assert.ok(!embed.url.includes(created.slug), "the embed's address does not name the link");
    assert.ok(Date.parse(embed.expiresAt) - Date.now() <= 2 * 3600_000);
    assert.equal((await fetch(embed.url)).status, 200);
    const usage = await cli("usage", "--name", "CLI scoped");
    assert.equal(usage.days.length, 30);
    assert.equal(usage.spike, null);
    const digest = await cli("digest", "--name", "CLI scoped", "--schedule", "monthly", "--add", "board@client.test", "--recipient-name", "Board");
    assert.equal(digest.mailEnabled, false);
    assert.equal(digest.frequency, "monthly");
    // Without mail nothing is sent: the recipient waits for a confirmation the admin sends once mail is set up.
    assert.deepEqual(digest.recipients.map((r) => [r.email, r.name, r.state, r.confirmationSentAt, r.unsubscribedAt]), [["board@client.test", "Board", "waiting", null, null]]);
    const digestText = await run("npx", ["tsx", "scripts/links.ts", "digest", "--site", SITE, "--name", "CLI scoped", "--remove", "board@client.test"], { cwd: root, env });
    assert.match(digestText.stdout, /Digests are off on this server[\s\S]*Schedule: monthly[\s\S]*No recipients\./);
    const wrong = await run("npx", ["tsx", "scripts/links.ts", "update", "--site", SITE, "--name", "CLI scoped", "--fixed", "2026-09-30..2026-07-01"], { cwd: root, env }).catch((e) => e);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /end date must be on or after the start date/);
  });

  it("refuses a wrong key and, once revoked, the right one", async () => {
    const wrong = createGlimpseClient({ url: baseUrl, apiKey: "glk_this-is-not-a-key" });
    assert.equal((await code(wrong.sites.list.query())).data?.code, "UNAUTHORIZED");
    assert.equal((await owner.post("/account/api-keys", { intent: "revoke", id: ownerKey.id })).status, 302);
    assert.equal((await code(glimpse.sites.list.query())).data?.code, "UNAUTHORIZED");
  });
});
