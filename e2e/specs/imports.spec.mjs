// Imports & exports (issue 28), JavaScript off and on: an admin uploads Plausible's CSV files on
// the settings page, watches the import's progress, finds it listed with its range and pageviews,
// sees the imported days on the dashboard, gets a bad file's error with its line, deletes the
// import, and downloads the export. The upload limit is checked over raw HTTP.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { unzipSync } from "fflate";
import { addSite, signUp } from "../lib/admin-http.mjs";
import { axeCheck, config, launchBrowser, newContext, overflows, screenshot, submit, visit } from "../lib/browser.mjs";
import { Client } from "../lib/http.mjs";

const PASSWORD = "correct horse battery staple";
const DOMAIN = `imports-js-${config.js}.example`;
const FIXTURES = join(config.root, "test", "fixtures", "plausible");
const SETTINGS = `/sites/${DOMAIN}/settings/imports`;

let browser;
let page;
let scratch;
const admin = new Client(config.baseUrl, { ip: `10.71.${config.js === "on" ? 1 : 2}.1` });

before(async () => {
  browser = await launchBrowser();
  await signUp(admin, `imports-${config.js}@example.com`, PASSWORD);
  await addSite(admin, DOMAIN);
  const context = await newContext(browser);
  await context.addCookies([{ name: "glimpse_session", value: admin.cookie("glimpse_session"), url: config.baseUrl }]);
  page = await context.newPage();
  scratch = mkdtempSync(join(tmpdir(), "glimpse-e2e-imports-"));
});

after(async () => {
  await browser?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The status cell of the newest import, once it reads as `pattern` (the page reloads itself while one runs). */
async function newestStatus(pattern, timeout = 30_000) {
  const cell = page.locator("table tbody tr").first().locator('td[data-label="Status"]');
  const deadline = Date.now() + timeout;
  for (;;) {
    const text = (await cell.innerText().catch(() => "")).trim();
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`status is still “${text}”`);
    await page.waitForTimeout(300);
  }
}

describe(`imports and exports, JavaScript ${config.js}`, () => {
  it("is in the settings navigation and empty at first", async () => {
    await visit(page, `/sites/${DOMAIN}/settings/goals`);
    await page.getByRole("link", { name: "Imports & exports" }).click();
    await page.waitForURL(new RegExp(`${SETTINGS}$`));
    await page.getByText("No imports yet.").waitFor();
    await screenshot(page, "imports-empty");
    assert.deepEqual(await axeCheck(page, "imports-empty"), []);
  });

  it("uploads a large file, shows its progress, then lists it completed", async () => {
    // 150,000 pages rows: long enough to be seen running.
    const lines = ["date,hostname,page,visitors,pageviews"];
    for (let day = 0; day < 1500; day++) {
      const date = new Date(Date.UTC(2015, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
      for (let p = 0; p < 100; p++) lines.push(`${date},${DOMAIN},/p/${p},${1 + (p % 7)},${2 + (p % 5)}`);
    }
    const big = join(scratch, "imported_pages_20150101_20190208.csv");
    writeFileSync(big, `${lines.join("\n")}\n`);
    await visit(page, SETTINGS);
    await page.getByLabel("Export zip or CSV files").setInputFiles(big);
    const response = await submit(page, page.getByRole("button", { name: "Upload and import" }));
    assert.equal(response.status(), 303);
    await page.waitForURL(/\?started=/);
    await page.getByText("Upload received").waitFor();
    const seen = await newestStatus(/Waiting to start|Importing, \d+%|Completed/);
    if (/Importing/.test(seen)) await screenshot(page, "imports-progress");
    await newestStatus(/^Completed/, 60_000);
    const row = (await page.locator("table tbody tr").first().innerText()).replace(/\s+/g, " ");
    assert.match(row, /2015-01-01 to 2019-02-08/);
  });

  it("imports Plausible's files and lists source, range and pageviews", async () => {
    await visit(page, SETTINGS);
    // The pages above cover 2015–2019; these files' pages rows fall outside those days.
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".csv")).map((f) => join(FIXTURES, f));
    await page.getByLabel("Export zip or CSV files").setInputFiles(files);
    await submit(page, page.getByRole("button", { name: "Upload and import" }));
    await page.waitForURL(/\?started=/);
    await newestStatus(/^Completed/);
    const row = (await page.locator("table tbody tr").first().innerText()).replace(/\s+/g, " ");
    assert.match(row, /Plausible CSV/);
    assert.match(row, /2011-12-25 to 2022-01-06/);
    assert.match(row, /\b99\b/);
    await screenshot(page, "imports-list");
    assert.deepEqual(await axeCheck(page, "imports-list"), []);
  });

  it("shows the imported days on the dashboard, and says when a filter leaves them out", async () => {
    await visit(page, `/sites/${DOMAIN}?period=custom&from=2011-12-25&to=2011-12-30`);
    await page.getByText("Includes 6 days of imported history").waitFor();
    assert.match(await page.locator(".dash-totals, .totals, [class*=total]").first().innerText(), /99/);
    await screenshot(page, "imports-dashboard");
    // A country is in one imported table: its rows that pass the filter count, in the totals, the chart and Countries.
    await visit(page, `/sites/${DOMAIN}?period=custom&from=2021-12-30&to=2022-01-06&f=country,is,AU`);
    await page.getByText("Includes 1 day of imported history in the totals, the chart and Countries").waitFor();
    await screenshot(page, "imports-dashboard-filtered");
    // A country and a device are in two tables, which cannot be joined: imported days are left out.
    await visit(page, `/sites/${DOMAIN}?period=custom&from=2011-12-25&to=2011-12-30&f=country,is,DE&f=device,is,Mobile`);
    await page.getByText("Imported data is left out").waitFor();
  });

  it("fails a bad file with its line, adding nothing", async () => {
    const bad = join(scratch, "imported_visitors_20100101_20100102.csv");
    writeFileSync(bad, "date,visitors,pageviews\n2010-01-01,1,2\n2010-01-02,ehhhh,2\n");
    await visit(page, SETTINGS);
    await page.getByLabel("Export zip or CSV files").setInputFiles(bad);
    await submit(page, page.getByRole("button", { name: "Upload and import" }));
    await page.waitForURL(/\?started=/);
    const status = await newestStatus(/^Failed/);
    assert.match(status, /imported_visitors_20100101_20100102\.csv, line 3: "ehhhh" in column visitors is not a whole number/);
    await screenshot(page, "imports-failed");
  });

  it("deletes an import after a confirm page", async () => {
    await visit(page, SETTINGS);
    const before = await page.locator("table tbody tr").count();
    await page.locator("table tbody tr").first().getByRole("link", { name: /Delete/ }).click();
    await page.getByRole("heading", { name: "Delete this import?" }).waitFor();
    await screenshot(page, "imports-delete");
    await submit(page, page.getByRole("button", { name: "Delete import" }));
    await page.getByText("Import deleted").waitFor();
    assert.equal(await page.locator("table tbody tr").count(), before - 1);
  });

  it("switches imported data off for every dashboard", async () => {
    await visit(page, SETTINGS);
    await page.getByLabel("Include imported data").uncheck();
    await submit(page, page.getByRole("button", { name: "Save" }));
    await page.getByText("Dashboards leave imported data out").waitFor();
    // Dashboards keep a view's figures for up to 10 s (server/stats/recent.ts).
    const deadline = Date.now() + 15_000;
    for (;;) {
      await visit(page, `/sites/${DOMAIN}?period=custom&from=2011-12-25&to=2011-12-30`);
      if ((await page.getByText("Includes 6 days").count()) === 0) break;
      assert.ok(Date.now() < deadline, "imported days still shown 15 s after switching them off");
      await page.waitForTimeout(1000);
    }
    await visit(page, SETTINGS);
    await page.getByLabel("Include imported data").check();
    await submit(page, page.getByRole("button", { name: "Save" }));
    await page.getByText("Dashboards include imported data").waitFor();
  });

  it("exports the ten tables as a zip, and says when they hold no day of the site's own", async () => {
    await visit(page, SETTINGS);
    await page.getByText(`Nothing to export yet: ${DOMAIN} has no data of its own before today`).waitFor();
    const res = await fetch(`${config.baseUrl}/api/sites/${DOMAIN}/export.zip`, { headers: { Cookie: admin.cookieHeader(), "X-Forwarded-For": "10.71.9.1" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/zip");
    const names = Object.keys(unzipSync(new Uint8Array(await res.arrayBuffer()))).map((n) => n.replace(/_\d{8}_\d{8}\.csv$/, "")).sort();
    assert.equal(names.length, 10);
    assert.ok(names.includes("imported_visitors") && names.includes("imported_custom_events"));
  });

  it("imports and exports from the command line, exiting non-zero with the reason on failure", { skip: config.js !== "on" && "HTTP only: run once" }, async () => {
    const run = promisify(execFile);
    const created = await admin.post("/account/api-keys", { intent: "create", name: "imports cli" });
    assert.equal(created.status, 302);
    const key = /glk_[A-Za-z0-9_-]+/.exec((await admin.get("/account/api-keys")).body)?.[0];
    assert.ok(key);
    const env = { ...process.env, GLIMPSE_URL: config.baseUrl, GLIMPSE_API_KEY: key };
    const other = `cli-${DOMAIN}`;
    await addSite(admin, other);
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".csv")).map((f) => join(FIXTURES, f));
    const imported = await run("npx", ["tsx", "scripts/imports.ts", "import", "--site", other, ...files], { cwd: config.root, env });
    assert.match(imported.stdout, /Imported 2011-12-25 to 2022-01-06: 99 pageviews/);
    const bad = join(scratch, "imported_visitors_20000101_20000101.csv");
    writeFileSync(bad, "date,visits\n2000-01-01,x\n");
    const failed = await run("npx", ["tsx", "scripts/imports.ts", "import", "--site", other, bad], { cwd: config.root, env }).catch((e) => e);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /Import failed: imported_visitors_20000101_20000101\.csv, line 2: "x" in column visits/);
    const refused = await run("npx", ["tsx", "scripts/imports.ts", "import", "--site", "nobody.example", bad], { cwd: config.root, env }).catch((e) => e);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /404: Site not found/);
    const out = join(scratch, "export.zip");
    const exported = await run("npx", ["tsx", "scripts/imports.ts", "export", "--site", DOMAIN, "--out", out], { cwd: config.root, env });
    assert.match(exported.stdout, /Wrote/);
    assert.match(exported.stdout, /no data of its own before today yet, so its ten tables hold no rows/);
    assert.equal(Object.keys(unzipSync(new Uint8Array(readFileSync(out)))).length, 10);
  });

  it("answers a refused upload with its reason, the body read to its end", async () => {
    for (let i = 0; i < 5; i++) {
      const form = new FormData();
      form.append("files", new Blob(["date,visitors\n".padEnd(200_000, "x")]), "imported_visitors_20000101_20000101.csv");
      const res = await fetch(`${config.baseUrl}/api/sites/nobody.example/imports`, { method: "POST", body: form, headers: { Cookie: admin.cookieHeader(), Accept: "application/json", "X-Forwarded-For": "10.71.9.3" } });
      assert.equal(res.status, 404);
      assert.match((await res.json()).error, /Site not found/);
    }
  });

  it("refuses an upload from another site's page (CSRF)", async () => {
    // One small string body, sent with its headers: the refusal comes before the body is read.
    const body = '--x\r\nContent-Disposition: form-data; name="files"; filename="imported_visitors_20000101_20000101.csv"\r\n\r\ndate,visitors\n2000-01-01,1\n\r\n--x--\r\n';
    const res = await fetch(`${config.baseUrl}/api/sites/${DOMAIN}/imports`, {
      method: "POST",
      body,
      headers: { Cookie: admin.cookieHeader(), "Content-Type": "multipart/form-data; boundary=x", Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site", "X-Forwarded-For": "10.71.9.4" },
    });
    assert.equal(res.status, 403);
    const { imports } = JSON.parse((await admin.get(`/api/trpc/imports.list?input=${encodeURIComponent(JSON.stringify({ site: DOMAIN }))}`)).body).result.data;
    assert.ok(!imports.some((i) => i.files.includes("imported_visitors_20000101_20000101.csv")), "nothing was imported");
  });

  it("refuses a 2 GB upload before reading it", async () => {
    const status = await new Promise((resolve, reject) => {
      const url = new URL(`/api/sites/${DOMAIN}/imports`, config.baseUrl);
      const req = request(url, { method: "POST", headers: { Cookie: admin.cookieHeader(), "Content-Type": "multipart/form-data; boundary=x", "Content-Length": String(2 * 1024 ** 3), "X-Forwarded-For": "10.71.9.2" } });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode);
        req.destroy();
      });
      req.on("error", reject);
      req.write("--x\r\n");
    });
    assert.equal(status, 413);
  });

  it("answers an upload cut off inside a file with 400, stays up, and leaves no import behind", async () => {
    // The body ends inside a file part, with nothing missing from what Content-Length declares.
    const body = '--zz\r\nContent-Disposition: form-data; name="files"; filename="a.csv"\r\n\r\nx';
    const headers = { Cookie: admin.cookieHeader(), "Content-Type": "multipart/form-data; boundary=zz", Accept: "application/json", "X-Forwarded-For": "10.71.9.5" };
    const res = await fetch(`${config.baseUrl}/api/sites/${DOMAIN}/imports`, { method: "POST", body, headers });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error, /cut off/);
    const { imports } = JSON.parse((await admin.get(`/api/trpc/imports.list?input=${encodeURIComponent(JSON.stringify({ site: DOMAIN }))}`)).body).result.data;
    assert.ok(!imports.some((i) => i.status === "uploading"), "no upload left behind");
    const again = await fetch(`${config.baseUrl}/api/sites/${DOMAIN}/imports`, { method: "POST", body, headers });
    assert.equal(again.status, 400, "the server is still up");
  });

  it("fits a phone's width", () => {
    assert.deepEqual(overflows, []);
  });
});
