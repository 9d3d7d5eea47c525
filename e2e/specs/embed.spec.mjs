// Signed embeds (issue 16), JavaScript off and on: a protected link, embedded with a token in a page
// of another site (localhost vs 127.0.0.1, so no cookie of ours could follow), shows its dashboard
// in the frame; the frame grows to the dashboard's height (JS on); after the password changes the
// same embed code shows only a refusal. Allowed framing origins end up in frame-ancestors.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { addSite, signUp } from "../lib/admin-http.mjs";
import { config, jsOn, launchBrowser, newContext, screenshot } from "../lib/browser.mjs";
import { Client } from "../lib/http.mjs";
import { eventsWritten } from "../lib/ingest.mjs";
import { trpc } from "../lib/link-scope-fixtures.mjs";
import { freePort } from "../lib/server.mjs";

const DOMAIN = `embed-js-${config.js}.example`;
const PASSWORD = "embed password 12345";
const admin = new Client(config.baseUrl, { ip: `10.80.${jsOn ? 1 : 2}.1` });

let browser;
let host;
let embedHtml = "";
let link;

/** The customer's page, on another site: whatever embed code it is given. */
async function startHost() {
  const port = await freePort();
  const server = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html><head><title>Client report</title></head><body><h1>Our numbers</h1>${embedHtml}</body></html>`);
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, url: `http://localhost:${port}/report` };
}

const mutate = async (path, input) => {
  const res = await trpc(admin, path, input, { mutation: true });
  assert.equal(res.status, 200, `${path}: ${res.body.slice(0, 300)}`);
  return res.data;
};

const snippet = (url) =>
  `<iframe src="${url}${url.includes("?") ? "&" : "?"}theme=light" data-glimpse-embed title="Analytics dashboard" width="100%" height="1600" frameborder="0"></iframe>` +
  `<script src="${config.baseUrl}/js/embed.js" async></script>`;

before(async () => {
  browser = await launchBrowser();
  await signUp(admin, `embed-${config.js}@example.com`, "correct horse battery staple");
  await addSite(admin, DOMAIN);
  const visitor = new Client(config.baseUrl, { ip: "198.51.100.80", headers: { "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" } });
  const sent = await visitor.request("/api/event", { json: { name: "pageview", url: `https://${DOMAIN}/embedded-page`, domain: DOMAIN, referrer: null } });
  assert.equal(sent.status, 202);
  await eventsWritten();
  link = await mutate("sharedLinks.create", { site: DOMAIN, name: "Board embed", password: PASSWORD });
  host = await startHost();
});

after(async () => {
  await browser?.close();
  host?.server.close();
});

describe(`signed embeds (JavaScript ${config.js})`, () => {
  it("shows a protected link in another site's frame with a token, no password and no cookie", async () => {
    const minted = await mutate("sharedLinks.createEmbedToken", { site: DOMAIN, id: link.id, period: { key: "7d" } });
    embedHtml = snippet(minted.url);
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(host.url);
    const frame = page.frameLocator("iframe[data-glimpse-embed]");
    await frame.getByRole("heading", { name: DOMAIN }).waitFor();
    await frame.getByText("/embedded-page").first().waitFor();
    assert.equal(await frame.getByText("This dashboard is password protected").count(), 0);
    if (jsOn) {
      // The script on the host page sizes the frame to the dashboard it shows.
      await page.waitForFunction(() => document.querySelector("iframe[data-glimpse-embed]")?.style.height.endsWith("px"));
      const height = await page.$eval("iframe[data-glimpse-embed]", (f) => parseInt(f.style.height, 10));
      assert.ok(height > 300 && height !== 1600, `frame height ${height}`);
    }
    await screenshot(page, "embed-protected");
    await context.close();
  });

  it("gives an open link's token embed an address without the slug, whose locks bind whoever reads it", async () => {
    const open = await mutate("sharedLinks.create", { site: DOMAIN, name: "Open board embed" });
    const mobile = [{ dimension: "device", operator: "is", values: ["Mobile"] }];
    const minted = await mutate("sharedLinks.createEmbedToken", { site: DOMAIN, id: open.id, period: { key: "today" }, filters: mobile });
    const address = new URL(minted.url);
    assert.equal(address.pathname, `/embed/${minted.token}`);
    assert.ok(!minted.url.includes(open.slug), "the embed's address does not name the link");
    // Plain HTTP, as anyone who read the frame's address would ask: the token's view, and nothing naming the slug.
    const reader = new Client(config.baseUrl, { ip: "198.51.100.81" });
    const page = await reader.get(`${address.pathname}?period=12mo`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy"), /frame-ancestors \*/);
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    assert.ok(!page.body.includes(open.slug), "the embed's page does not name the slug");
    assert.ok(!page.body.includes("/embedded-page"), "a desktop pageview is outside the token's Mobile filter");
    assert.match(page.body, /Device is Mobile/);
    // Dropping the token leaves nothing to open.
    assert.equal((await reader.get("/embed/")).status, 404);
    // The earlier form moves to the token's own address, keeping the view's query, so it cannot show more either.
    const old = await reader.get(`/share/${open.slug}?embed=true&token=${minted.token}&theme=dark`);
    assert.equal(old.status, 302);
    assert.equal(old.headers.get("location"), `/embed/${minted.token}?theme=dark`);
  });

  it("refuses to mint a token for a paused link with 410, as every refusal of a link that is gone", async () => {
    const paused = await mutate("sharedLinks.create", { site: DOMAIN, name: "Paused embed" });
    await mutate("sharedLinks.update", { site: DOMAIN, id: paused.id, paused: true });
    const res = await trpc(admin, "sharedLinks.createEmbedToken", { site: DOMAIN, id: paused.id }, { mutation: true });
    assert.equal(res.status, 410);
    assert.equal(res.error.message, "This link is paused: resume it before embedding it");
  });

  it("refuses the same embed code once the password has changed", async () => {
    await mutate("sharedLinks.update", { site: DOMAIN, id: link.id, password: `${PASSWORD} changed` });
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(host.url);
    const frame = page.frameLocator("iframe[data-glimpse-embed]");
    await frame.getByText("This embedded dashboard is no longer available").waitFor();
    assert.equal(await frame.getByText("/embedded-page").count(), 0);
    assert.equal(await frame.getByRole("heading", { name: DOMAIN }).count(), 0);
    await screenshot(page, "embed-refused");
    await context.close();
  });

  it("counts the views and unique viewers it was given, not API calls, on the link's usage page", async () => {
    const watched = await mutate("sharedLinks.create", { site: DOMAIN, name: "Watched link" });
    const first = await newContext(browser, { userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0" });
    const page = await first.newPage();
    for (let i = 0; i < 3; i++) await page.goto(watched.url);
    await first.close();
    const second = await newContext(browser, { userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15" });
    await (await second.newPage()).goto(watched.url);
    await second.close();
    const api = await trpc(new Client(config.baseUrl), "share.stats", { slug: watched.slug, period: { key: "7d" } });
    assert.equal(api.status, 200);
    let usage;
    for (let i = 0; i < 40; i++) {
      usage = (await trpc(admin, "sharedLinks.usage", { site: DOMAIN, id: watched.id })).data;
      if (usage.totals.views >= 4) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.deepEqual(usage.totals, { views: 4, viewers: 2, failedUnlocks: 0 });
    const html = (await admin.get(`/sites/${DOMAIN}/settings/visibility/shared-links/${watched.id}/usage`)).body;
    assert.match(html, /Views, last 30 days<\/dt><dd>4<\/dd>/);
    assert.match(html, /Unique viewers, summed by day<\/dt><dd>2<\/dd>/);
  });

  it("lets only the link's allowed sites frame it, once it names any", async () => {
    const minted = await mutate("sharedLinks.createEmbedToken", { site: DOMAIN, id: link.id });
    const res = await new Client(config.baseUrl).get(new URL(minted.url).pathname + new URL(minted.url).search);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-security-policy"), /frame-ancestors \*/);
    await mutate("sharedLinks.update", { site: DOMAIN, id: link.id, embedOrigins: ["https://client.example", "http://localhost:8080/"] });
    const again = await new Client(config.baseUrl).get(new URL(minted.url).pathname + new URL(minted.url).search);
    assert.match(again.headers.get("content-security-policy"), /frame-ancestors https:\/\/client\.example http:\/\/localhost:8080(;|$)/);
    // The host page's origin is not among them: the browser refuses to show the frame.
    embedHtml = snippet(minted.url);
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(host.url);
    await page.waitForTimeout(1500);
    assert.equal(await page.frameLocator("iframe[data-glimpse-embed]").getByRole("heading", { name: DOMAIN }).count(), 0);
    await context.close();
  });
});
