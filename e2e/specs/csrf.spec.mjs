// CSRF (SPEC §5, issue 4): state-changing requests must come from our own origin. Plain fetch,
// because a browser would not let a test forge Origin or Sec-Fetch-Site.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { addSite, signUp } from "../lib/admin-http.mjs";
import { Client } from "../lib/http.mjs";

const baseUrl = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000";
const admin = new Client(baseUrl, { ip: "10.30.0.1" });

async function siteDomains() {
  const { status, body } = await admin.get("/");
  assert.equal(status, 200);
  return [...body.matchAll(/class="site-domain"[^>]*>([^<]+)</g)].map((m) => m[1]);
}

describe("CSRF: cross-site form posts are refused", () => {
  before(async () => {
    await signUp(admin, "csrf@example.com", "correct horse battery staple");
    await addSite(admin, "first.example");
  });

  it("refuses a POST with a foreign Origin with 403 and creates nothing", async () => {
    const res = await admin.post("/sites/new", { domain: "evil-origin.example", timezone: "UTC" }, { headers: { Origin: "https://evil.example" } });
    assert.equal(res.status, 403);
    assert.deepEqual(await siteDomains(), ["first.example"]);
  });

  it("refuses a POST with Origin: null (sandboxed frames, data: URLs) when the browser does not vouch for it", async () => {
    const res = await admin.post("/sites/new", { domain: "evil-null.example", timezone: "UTC" }, { headers: { Origin: "null" } });
    assert.equal(res.status, 403);
    assert.deepEqual(await siteDomains(), ["first.example"]);
  });

  it("refuses a POST marked Sec-Fetch-Site: cross-site with 403 and creates nothing", async () => {
    const res = await admin.post("/sites/new", { domain: "evil-fetch-site.example", timezone: "UTC" }, { headers: { "Sec-Fetch-Site": "cross-site" } });
    assert.equal(res.status, 403);
    assert.deepEqual(await siteDomains(), ["first.example"]);
  });

  it("refuses a POST from a sibling site (Sec-Fetch-Site: same-site) with 403", async () => {
    const res = await admin.post("/sites/new", { domain: "evil-same-site.example", timezone: "UTC" }, { headers: { "Sec-Fetch-Site": "same-site", Origin: "http://evil.127.0.0.1.nip.io" } });
    assert.equal(res.status, 403);
    assert.deepEqual(await siteDomains(), ["first.example"]);
  });

  it("refuses a cross-site logout, so the session survives", async () => {
    const res = await admin.post("/logout", {}, { headers: { Origin: "https://evil.example" } });
    assert.equal(res.status, 403);
    assert.deepEqual(await siteDomains(), ["first.example"]);
  });

  it("refuses a cross-site password attempt on a share page", async () => {
    const res = await admin.post("/share/anything", { password: "whatever" }, { headers: { "Sec-Fetch-Site": "cross-site" } });
    assert.equal(res.status, 403);
  });

  it("accepts a same-origin POST (Origin is the public URL, Sec-Fetch-Site: same-origin)", async () => {
    const res = await admin.post("/sites/new", { domain: "same-origin.example", timezone: "UTC" }, { headers: { Origin: baseUrl, "Sec-Fetch-Site": "same-origin" } });
    assert.equal(res.status, 302);
    assert.equal(res.location, "/sites/same-origin.example/settings/general");
    assert.deepEqual((await siteDomains()).sort(), ["first.example", "same-origin.example"]);
  });

  it("accepts a same-origin form post from a no-referrer page (Origin: null, Sec-Fetch-Site: same-origin)", async () => {
    // Regression (fixed): this is exactly what Chromium sends for the share page's password form, because share
    // pages use Referrer-Policy: no-referrer. scripts/serve.mjs refuses it (Origin "null" ≠ our
    // origin), so protected links cannot be unlocked without JavaScript. Fix: when Sec-Fetch-Site
    // is present, decide by it alone (same-origin or none → allow); use Origin only without it.
    const res = await admin.post("/share/no-such-slug", { password: "whatever" }, { headers: { Origin: "null", "Sec-Fetch-Site": "same-origin" } });
    assert.notEqual(res.status, 403);
  });

  it("refuses a cross-site import upload before reading it, and starts no import", async () => {
    const upload = (headers) => {
      const form = new FormData();
      form.append("files", new Blob(["date,visitors,pageviews\n2020-01-01,5,9\n"], { type: "text/csv" }), "imported_visitors_20200101_20200101.csv");
      return fetch(new URL("/api/sites/first.example/imports", baseUrl), { method: "POST", redirect: "manual", body: form, headers: { ...admin.headers, Cookie: admin.cookieHeader(), ...headers } });
    };
    for (const headers of [{ Origin: "https://evil.example" }, { "Sec-Fetch-Site": "cross-site" }, { Origin: "null" }]) {
      const res = await upload(headers);
      assert.equal(res.status, 403, JSON.stringify(headers));
    }
    // A body still on its way when the refusal is sent: the client reads the 403, not a broken pipe.
    const big = new FormData();
    big.append("files", new Blob([`date,visitors,pageviews\n${"2020-01-01,5,9\n".repeat(40_000)}`], { type: "text/csv" }), "imported_visitors_20200101_20200101.csv");
    for (let i = 0; i < 5; i++) {
      const res = await fetch(new URL("/api/sites/first.example/imports", baseUrl), { method: "POST", redirect: "manual", body: big, headers: { ...admin.headers, Cookie: admin.cookieHeader(), Origin: "https://evil.example" } });
      assert.equal(res.status, 403);
      assert.match(await res.text(), /Cross-site form submissions are not accepted/);
    }
    const page = await admin.get("/sites/first.example/settings/imports");
    assert.match(page.body, /No imports yet/);
    // The same upload from our own origin is taken (the control for the refusals above).
    const own = await upload({ Origin: baseUrl, "Sec-Fetch-Site": "same-origin" });
    assert.equal(own.status, 303);
  });

  it("refuses cross-site posts to the imports page and the delete-import confirmation", async () => {
    const include = await admin.post("/sites/first.example/settings/imports", { include: "" }, { headers: { Origin: "https://evil.example" } });
    assert.equal(include.status, 403);
    const remove = await admin.post("/sites/first.example/settings/imports/00000000-0000-0000-0000-000000000000/delete", {}, { headers: { "Sec-Fetch-Site": "cross-site" } });
    assert.equal(remove.status, 403);
  });

  it("refuses a cookie-authenticated tRPC mutation from a foreign Origin", async () => {
    const res = await admin.request("/api/trpc/sites.create", {
      json: { domain: "evil-trpc.example", timezone: "UTC" },
      headers: { Origin: "https://evil.example" },
    });
    assert.equal(res.status, 403);
    assert.deepEqual((await siteDomains()).sort(), ["first.example", "same-origin.example"]);
  });
});
