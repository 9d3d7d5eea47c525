// Goals (issue 17), JavaScript off and on: an admin adds goals on the settings page; Plausible's
// own tracker (its npm package, a client nobody here wrote) on a page of another origin sends a
// pageview and a Signup with a property; the conversion and the property then show on the admin
// dashboard and on a segment-restricted shared link. axe and screenshots on every new page.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { addLink, addSegment, addSite, signUp } from "../lib/admin-http.mjs";
import { axeCheck, config, jsOn, launchBrowser, newContext, overflows, screenshot, submit, visit } from "../lib/browser.mjs";
import { Client } from "../lib/http.mjs";
import { freePort } from "../lib/server.mjs";
import { eventsWritten } from "../lib/ingest.mjs";

const PASSWORD = "correct horse battery staple";
const DOMAIN = `goals-js-${config.js}.example`;
const TRACKER = join(config.root, "node_modules", "@plausible-analytics", "tracker", "plausible.js");

let browser;
let page;
let customer;
let customerUrl;
let shareSlug;
const admin = new Client(config.baseUrl, { ip: `10.70.${jsOn ? 1 : 2}.1` });

/** A customer's site on another origin: one page that loads the tracker from the npm package. */
async function startCustomerSite() {
  const port = await freePort();
  const page = `<!doctype html><html><head><title>Customer</title></head><body><h1>Pricing</h1>
<p id="status">sending</p>
<script type="module">
  import { init, track } from "/plausible.js";
  init({ domain: ${JSON.stringify(DOMAIN)}, endpoint: ${JSON.stringify(`${config.baseUrl}/api/event`)}, captureOnLocalhost: true, logging: false });
  track("Signup", { props: { plan: "pro" }, callback: (result) => { document.getElementById("status").textContent = "sent " + (result && result.status); } });
</script></body></html>`;
  const server = createServer((req, res) => {
    if (req.url === "/plausible.js") {
      res.writeHead(200, { "Content-Type": "text/javascript" });
      return res.end(readFileSync(TRACKER));
    }
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(page);
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${port}/pricing` };
}

before(async () => {
  browser = await launchBrowser();
  await signUp(admin, `goals-${config.js}@example.com`, PASSWORD);
  await addSite(admin, DOMAIN);
  const context = await newContext(browser);
  await context.addCookies([{ name: "glimpse_session", value: admin.cookie("glimpse_session"), url: config.baseUrl }]);
  page = await context.newPage();
  customer = await startCustomerSite();
  customerUrl = customer.url;
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (customer ? customer.server.close(resolve) : resolve()));
});

describe(`goals, JavaScript ${config.js}`, () => {
  it("adds a custom-event goal and a pageview goal through the settings form", async () => {
    await visit(page, `/sites/${DOMAIN}/settings/goals`);
    await page.getByText("No goals yet.").waitFor();
    await screenshot(page, "goals-empty");
    assert.deepEqual(await axeCheck(page, "goals"), []);

    await page.getByLabel("Custom event").check();
    await page.getByLabel("Event name").fill("Signup");
    await submit(page, page.getByRole("button", { name: "Add goal" }));
    await page.getByText("Goal “Signup” added").waitFor();

    await page.getByLabel("Pageview").check();
    await page.getByLabel("Page path").fill("/pricing");
    await submit(page, page.getByRole("button", { name: "Add goal" }));
    await page.getByText("Goal “Visit /pricing” added").waitFor();
    const rows = await page.locator("table tbody tr td.link-name").allInnerTexts();
    assert.deepEqual(rows.map((r) => r.trim()), ["Signup", "Visit /pricing"]);
    await screenshot(page, "goals-list");
  });

  it("shows what is wrong with a goal, keeping what was typed", async () => {
    await page.getByLabel("Pageview").check();
    await page.getByLabel("Page path").fill("pricing");
    await page.getByLabel("Display name (optional)").fill("Pricing page");
    const res = await submit(page, page.getByRole("button", { name: "Add goal" }));
    assert.equal(res.status(), 400);
    await page.getByText("A page path starts with /, such as /pricing or /blog/*").waitFor();
    assert.equal(await page.getByLabel("Page path").inputValue(), "pricing");
    assert.equal(await page.getByLabel("Display name (optional)").inputValue(), "Pricing page");
    await screenshot(page, "goals-error");

    await page.getByLabel("Custom event").check();
    await page.getByLabel("Event name").fill("Signup");
    await page.getByLabel("Display name (optional)").fill("");
    const duplicate = await submit(page, page.getByRole("button", { name: "Add goal" }));
    assert.equal(duplicate.status(), 400);
    await page.getByText("A goal for the event “Signup” already exists for this site").waitFor();
  });

  it("counts what Plausible's own tracker sends from another origin", async () => {
    // Headless Chromium says so in its user agent, and bots are not counted: this visitor uses a
    // desktop Chrome's.
    const userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
    const tracked = await (await newContext(browser, { javaScriptEnabled: true, baseURL: undefined, userAgent })).newPage();
    await tracked.goto(customerUrl);
    await tracked.waitForFunction(() => document.getElementById("status")?.textContent?.startsWith("sent"), null, { timeout: 10_000 });
    assert.equal(await tracked.locator("#status").innerText(), "sent 202");
    await tracked.context().close();
    await eventsWritten();
  });

  it("shows the conversion, its rate and the property on the admin dashboard", async () => {
    await visit(page, `/sites/${DOMAIN}?period=today`);
    const card = page.locator("section.dash-goals");
    await card.waitFor();
    const rows = await card.locator("tbody tr").allInnerTexts();
    assert.deepEqual(
      rows.map((r) => r.split(/\s+/).join(" ")),
      ["Signup 1 1 100%", "Visit /pricing 1 1 100%"],
    );
    await screenshot(page, "dashboard-goals");
    await card.getByRole("link", { name: "Signup" }).click();
    await page.waitForURL(/f=goal%2Cis%2CSignup|f=goal,is,Signup/);
    await page.locator(".dash-goals__props").getByText("Signup by property").waitFor();
    const props = await page.locator(".dash-goals__props tbody tr").allInnerTexts();
    assert.deepEqual(props.map((r) => r.split(/\s+/).join(" ")), ["pro 1 1"]);
    assert.match(await page.locator(".dash-chips").innerText(), /Goal is Signup/);
    await screenshot(page, "dashboard-goal-props");
    assert.deepEqual(await axeCheck(page, "dashboard-goal-props"), []);
  });

  it("shows goals on a shared link, under its segment, read-only", async () => {
    const segment = await addSegment(admin, DOMAIN, "Signed up", [{ dimension: "goal", operator: "is", value: "Signup" }]);
    shareSlug = (await addLink(admin, DOMAIN, { name: "Converters", segmentId: segment.id })).slug;
    const recipient = await (await newContext(browser)).newPage();
    await visit(recipient, `/share/${shareSlug}?period=today`);
    const card = recipient.locator("section.dash-goals");
    await card.waitFor();
    assert.match(await card.innerText(), /Signup/);
    assert.equal(await recipient.locator('a[href*="/settings"]').count(), 0, "no links into the admin pages");
    // The segment is one goal: the card breaks it down by property right away.
    assert.deepEqual((await recipient.locator(".dash-goals__props tbody tr").allInnerTexts()).map((r) => r.split(/\s+/).join(" ")), ["pro 1 1"]);
    await screenshot(recipient, "share-goals");
    assert.deepEqual(await axeCheck(recipient, "share-goals"), []);
    await recipient.context().close();
  });

  it("keeps every new page within a phone's width", () => {
    assert.deepEqual(overflows, []);
  });
});
