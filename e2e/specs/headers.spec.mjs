// Headers (issue 8): every response, page or not, carries the security headers; cookies carry
// the right flags; share pages never leak their URL and only embeds may be framed.
import assert from "node:assert/strict";
import { request } from "node:http";
import { before, describe, it } from "node:test";
import { addLink, addSegment, addSite, signUp } from "../lib/admin-http.mjs";
import { Client } from "../lib/http.mjs";

const baseUrl = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000";
const admin = new Client(baseUrl, { ip: "10.80.0.1" });
const anonymous = new Client(baseUrl, { ip: "10.80.0.2" });
const DOMAIN = "headers.example";
let open;
let locked;
let segmentId;
let linkId;

function frameAncestors(res) {
  return /frame-ancestors ([^;]+)/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
}

function assertBase(path, res) {
  assert.equal(res.headers.get("x-content-type-options"), "nosniff", `${path}: nosniff`);
  const csp = res.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'self'/, `${path}: CSP`);
  assert.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9+/=]+'(;|$)/, `${path}: scripts from us only`);
  assert.match(csp, /style-src 'self'(;|$)/, `${path}: styles from us only`);
  assert.ok(res.headers.get("referrer-policy"), `${path}: Referrer-Policy`);
  assert.ok(!res.headers.get("x-powered-by"), `${path}: no X-Powered-By`);
}

describe("security headers on every route", () => {
  before(async () => {
    await signUp(admin, "headers@example.com", "correct horse battery staple");
    await addSite(admin, DOMAIN);
    segmentId = (await addSegment(admin, DOMAIN, "Mobile", [{ dimension: "device", operator: "is", value: "Mobile" }])).id;
    open = await addLink(admin, DOMAIN, { name: "Open" });
    locked = await addLink(admin, DOMAIN, { name: "Locked", password: "locked password 1", segmentId });
    linkId = locked.id;
  });

  it("admin pages, assets, API and errors", async () => {
    const paths = [
      "/", "/login", "/signup", "/sites/new", `/sites/${DOMAIN}`, `/sites/${DOMAIN}?more=page`,
      `/sites/${DOMAIN}/settings/general`, `/sites/${DOMAIN}/settings/visibility`, `/sites/${DOMAIN}/settings/segments`,
      `/sites/${DOMAIN}/settings/segments/${segmentId}/edit`, `/sites/${DOMAIN}/settings/segments/${segmentId}/delete`,
      `/sites/${DOMAIN}/settings/visibility/shared-links/${linkId}/edit`, `/sites/${DOMAIN}/settings/visibility/shared-links/${linkId}/delete`,
      "/account/api-keys", "/healthz", "/js/script.js", "/favicon.svg", "/api/trpc/sites.list", "/api/event", "/no/such/page",
      `/sites/not-mine.example/settings/visibility`,
    ];
    for (const path of paths) {
      const res = await admin.get(path);
      assert.ok(res.status < 500, `${path}: ${res.status}`);
      assertBase(path, res);
      assert.equal(frameAncestors(res), "'none'", `${path}: not framable`);
      assert.notEqual(res.headers.get("referrer-policy"), "unsafe-url");
    }
  });

  it("share pages: no-referrer, noindex, framable only as a rendered embed", async () => {
    const openPath = new URL(open.url).pathname;
    const lockedPath = new URL(locked.url).pathname;
    const cases = [
      [openPath, "'none'"],
      [`${openPath}?embed=true`, "*"],
      [`${openPath}?embed=true&theme=dark&more=country`, "*"],
      [lockedPath, "'none'"],
      [`${lockedPath}?embed=true`, "'none'"],
      ["/share/xxxxxxxxxxxxxxxxxxxxx", "'none'"],
      ["/share/xxxxxxxxxxxxxxxxxxxxx?embed=true", "'none'"],
    ];
    for (const [path, frames] of cases) {
      const res = await anonymous.get(path);
      assertBase(path, res);
      assert.equal(res.headers.get("referrer-policy"), "no-referrer", `${path}: no-referrer`);
      assert.match(res.headers.get("x-robots-tag") ?? "", /noindex/, `${path}: noindex`);
      assert.equal(frameAncestors(res), frames, `${path}: frame-ancestors`);
    }
    const wrong = await anonymous.post(lockedPath, { password: "not it at all" });
    assert.equal(wrong.status, 401);
    assertBase(lockedPath, wrong);
    assert.equal(frameAncestors(wrong), "'none'");
  });

  it("events, answered in front of the router, carry the same headers, plus CORS", async () => {
    const visitor = new Client(baseUrl, { ip: "198.51.100.90", headers: { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0" } });
    for (const [path, status] of [["/api/event", 202], ["/api/event?v=1", 202]]) {
      const res = await visitor.request(path, { method: "POST", json: { name: "pageview", url: `https://${DOMAIN}/headers`, domain: DOMAIN, referrer: null }, cookies: false });
      assert.equal(res.status, status, `${path}: ${res.body}`);
      assertBase(path, res);
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.equal(frameAncestors(res), "'none'");
    }
    // A bad one is answered the same way, with a reason.
    const bad = await visitor.request("/api/event", { method: "POST", json: { name: "pageview" }, cookies: false });
    assert.equal(bad.status, 400);
    assertBase("/api/event (bad)", bad);
  });

  it("cookies: HttpOnly and SameSite=Lax everywhere, Secure in production, unlocks scoped to /share", async () => {
    const login = await new Client(baseUrl, { ip: "10.80.0.3" }).post("/login", { email: "headers@example.com", password: "correct horse battery staple" });
    const session = login.setCookies.find((c) => c.startsWith("glimpse_session="));
    assert.ok(session, "a session cookie is set");
    assert.match(session, /; HttpOnly/i);
    assert.match(session, /; SameSite=Lax/i);
    assert.match(session, /; Path=\//i);
    assert.match(session, /; Secure/i);
    assert.match(session, /; Max-Age=2592000/i);

    const unlock = await anonymous.post(new URL(locked.url).pathname, { password: "locked password 1" });
    assert.equal(unlock.status, 303);
    const cookie = unlock.setCookies.find((c) => c.startsWith("glimpse_unlock="));
    assert.match(cookie, /; Path=\/share/i);
    assert.match(cookie, /; HttpOnly/i);
    assert.match(cookie, /; SameSite=Lax/i);
    assert.match(cookie, /; Secure/i);
    assert.match(cookie, /; Max-Age=86400/i);
  });
  it("a Host header that makes no URL is a 400 with the security headers, not a 500", async () => {
    const status = (path) =>
      new Promise((resolve, reject) => {
        const url = new URL(path, baseUrl);
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { Host: "bad host[" } }, (res) => {
          res.resume();
          resolve({ status: res.statusCode, nosniff: res.headers["x-content-type-options"] });
        });
        req.on("error", reject);
        req.end();
      });
    for (const path of ["/login", new URL(open.url).pathname, "/api/trpc/sites.list"]) {
      assert.deepEqual(await status(path), { status: 400, nosniff: "nosniff" }, path);
    }
  });
});
