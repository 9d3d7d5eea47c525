// Share pages shown again within seconds are not rendered again (app/lib/share-page-cache.server.ts).
// What must still hold for every response: its own CSP nonce, access checked now, the view counted,
// and never a page made for someone else (a signed-in admin's page names them).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { addLink, addSegment, addSite, deleteLink, editLink, listLinks, signUp } from "../lib/admin-http.mjs";
import { Client } from "../lib/http.mjs";

const baseUrl = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000";
const ADMIN_EMAIL = "cache-admin@example.com";
const admin = new Client(baseUrl, { ip: "10.81.0.1" });
const DOMAIN = "cache.example";
let visitorCount = 0;
const visitor = () => new Client(baseUrl, { ip: `10.81.1.${++visitorCount}` });
let segmentId;

const pathOf = (link) => new URL(link.url).pathname;
const headerNonce = (res) => /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
const bodyNonces = (res) => new Set([...res.body.matchAll(/ nonce="([^"]+)"/g)].map((m) => m[1]));
const isDashboard = (res) => res.status === 200 && res.body.includes('class="dashboard ');
const isLockForm = (res) => /type="password"/.test(res.body) && !res.body.includes('class="dashboard ');

async function viewsOf(id, atLeast) {
  const deadline = Date.now() + 12_000;
  let views;
  do {
    views = Number(/^(\d+)/.exec((await listLinks(admin, DOMAIN)).find((l) => l.id === id).views)?.[1] ?? -1);
    if (views >= atLeast) return views;
    await new Promise((r) => setTimeout(r, 500));
  } while (Date.now() < deadline);
  return views;
}

describe("share pages shown again", () => {
  before(async () => {
    await signUp(admin, ADMIN_EMAIL, "correct horse battery staple");
    await addSite(admin, DOMAIN);
    segmentId = (await addSegment(admin, DOMAIN, "Phones only", [{ dimension: "device", operator: "is", value: "Mobile" }])).id;
  });

  it("carry a fresh nonce in the header and the page each time, and keep the embed CSP", async () => {
    const link = await addLink(admin, DOMAIN, { name: "Nonces" });
    for (const path of [pathOf(link), `${pathOf(link)}?embed=true`]) {
      const seen = new Set();
      for (let i = 0; i < 3; i++) {
        const res = await visitor().get(path);
        assert.ok(isDashboard(res), `${path}: dashboard`);
        const nonce = headerNonce(res);
        assert.ok(nonce, `${path}: CSP nonce`);
        assert.deepEqual([...bodyNonces(res)], [nonce], `${path}: every script carries this response's nonce`);
        assert.ok(!seen.has(nonce), `${path}: nonce reused`);
        seen.add(nonce);
        const frames = /frame-ancestors ([^;]+)/.exec(res.headers.get("content-security-policy"))?.[1];
        assert.equal(frames, path.includes("embed") ? "*" : "'none'", `${path}: frame-ancestors`);
        assert.equal(res.headers.get("cache-control"), "private, no-store");
      }
    }
  });

  it("never show a signed-in admin's page to anyone else, nor an anonymous page to the admin", async () => {
    const link = await addLink(admin, DOMAIN, { name: "Who is signed in" });
    const mine = await admin.get(pathOf(link));
    assert.ok(isDashboard(mine));
    assert.ok(mine.body.includes(ADMIN_EMAIL), "the admin's page knows who is signed in");
    const theirs = await visitor().get(pathOf(link));
    assert.ok(isDashboard(theirs));
    assert.ok(!theirs.body.includes(ADMIN_EMAIL), "an anonymous page must not name the admin");
    const again = await admin.get(pathOf(link));
    assert.ok(again.body.includes(ADMIN_EMAIL), "the admin is not served the anonymous page");
  });

  it("follow a new password, a new segment and a deletion at once", async () => {
    const link = await addLink(admin, DOMAIN, { name: "Changes" });
    const path = pathOf(link);
    assert.ok(isDashboard(await visitor().get(path)));
    assert.ok(isDashboard(await visitor().get(path)));

    await editLink(admin, DOMAIN, link.id, { name: "Changes", segmentId });
    const segmented = await visitor().get(path);
    assert.ok(isDashboard(segmented));
    assert.ok(segmented.body.includes("Phones only"), "the new segment shows on the next view");

    await editLink(admin, DOMAIN, link.id, { name: "Changes", passwordAction: "replace", password: "a brand new password", segmentId });
    const locked = await visitor().get(path);
    assert.ok(isLockForm(locked), `locked at once (HTTP ${locked.status})`);

    await deleteLink(admin, DOMAIN, link.id);
    assert.equal((await visitor().get(path)).status, 404);
  });

  it("count every view, served from memory or not", async () => {
    const link = await addLink(admin, DOMAIN, { name: "Counted" });
    for (let i = 0; i < 6; i++) assert.ok(isDashboard(await visitor().get(pathOf(link))));
    assert.equal(await viewsOf(link.id, 6), 6);
  });
});
