// Link lifecycle and scope (SPEC §3a), JavaScript off and on: the create and edit forms with
// expiry, pause, date bounds, sections and permissions (values kept on errors, round trips), the
// list's state and scope line, and what a recipient gets: fixed and clamped periods, hidden
// sections and filters refused, CSV export, 410 for expired and paused links and 404 for deleted
// ones on every path (page, embed, more, export, tRPC). Figures are checked against traffic this
// spec sends itself. Events can only be sent "now", so dates are placed around today: a fixed
// period in the past, one that ends today, an earliest date two days ago and one in the future.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { signUp } from "../lib/admin-http.mjs";
import { axeCheck, config, jsOn, launchBrowser, newContext, overflows, screenshot, submit, visit } from "../lib/browser.mjs";
import { Client, textOf, visibleHtml } from "../lib/http.mjs";
import {
  INGESTED,
  MARKS,
  addDays,
  addSiteIn,
  axeCheckPrepared,
  createLinkApi,
  ingest,
  inputTag,
  isChecked,
  linkRows,
  localDay,
  longDay,
  parseCsv,
  trpc,
  unzip,
  valueOf,
} from "../lib/link-scope-fixtures.mjs";
import { isDashboard, isPasswordForm, totalsOf } from "../lib/share-fixtures.mjs";

const DOMAIN = `link-scope-js-${config.js}.example`;
/** Not UTC: expiry is typed in the site's time zone, and days are the site's days. */
const TZ = "Asia/Tokyo";
const SECTIONS = ["series", "page", "entry_page", "source", "referrer", "utm_source", "utm_medium", "utm_campaign", "country", "device", "browser", "os"];
const PERMISSIONS = ["allowPeriodChange", "allowFilters", "allowExport"];
const LINK_PASSWORD = "scope form secret words";
const LOCKED_PASSWORD = "locked download secret";
const SETTINGS = `/sites/${DOMAIN}/settings/visibility`;

const admin = new Client(config.baseUrl, { ip: `10.72.${jsOn ? 1 : 2}.1` });
let ipCounter = 0;
/** A recipient with an address (and so a view budget) of its own. */
const visitor = () => new Client(config.baseUrl, { ip: `198.18.${jsOn ? 1 : 2}.${++ipCounter}` });

/** @type {Record<string, {id: string, slug: string, name: string}>} */
const links = {};
let today;
let deletedSlug;
let expiresAt;
let liveBeforeExpiry;

const share = (key, search = "") => `/share/${links[key].slug}${search}`;
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const rangeLabel = (from, to) => (from === to ? longDay(from) : from.slice(0, 4) === to.slice(0, 4) ? `${longDay(from).replace(/, \d{4}$/, "")} – ${longDay(to)}` : `${longDay(from)} – ${longDay(to)}`);
const stats = (client, slug, period = { key: "30d" }, filters = []) => trpc(client, "share.stats", { slug, period, filters });
const notices = (html) => [...(/<div class="dash-notice"[^>]*>([\s\S]*?)<\/div>/.exec(visibleHtml(html))?.[1] ?? "").matchAll(/<li>([\s\S]*?)<\/li>/g)].map(([, li]) => textOf(li));
const scopeText = (html) => textOf(/<p class="dash-scope__text">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? "");
const hasPicker = (html) => /id="dash-period-select"/.test(visibleHtml(html));
const filterLinks = (html) => [...visibleHtml(html).matchAll(/<a\b[^>]*href="([^"]*[?&;]f=[^"]*)"/g)].map(([, href]) => href);
/** Short failure messages: the page's text (not its whole HTML) around what was looked for. */
const snippet = (text) => {
  const plain = textOf(visibleHtml(String(text)));
  return plain.length > 400 ? `${plain.slice(0, 400)}…` : plain;
};
function has(text, re, what = "") {
  assert.ok(re.test(text), `${what ? `${what}: ` : ""}expected ${re} in “${snippet(text)}”`);
}
function lacks(text, re, what = "") {
  const found = re.exec(text);
  const at = found ? String(text).slice(Math.max(0, found.index - 120), found.index + found[0].length + 120) : "";
  assert.ok(!found, `${what ? `${what}: ` : ""}unexpected ${re}: …${at}…`);
}
/** Export bodies are binary: plain fetch, from an address of the client's choosing. */
async function download(path, client = visitor()) {
  const headers = { ...client.headers };
  if (client.jar.size > 0) headers.Cookie = client.cookieHeader();
  const res = await fetch(new URL(path, config.baseUrl), { headers, redirect: "manual" });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}
/** The rows of one breakdown card as rendered: [label, visitors]. */
function cardRows(html, dimension) {
  const card = new RegExp(`<section[^>]*aria-labelledby="dash-breakdown-${dimension}"[^>]*>([\\s\\S]*?)</section>`).exec(visibleHtml(html))?.[1] ?? "";
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(card)?.[1] ?? "";
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map(([, row]) => {
    const label = textOf(/<th[^>]*>([\s\S]*?)<\/th>/.exec(row)?.[1] ?? "");
    const td = /<td class="dash-num"(?: title="([^"]*)")?[^>]*>([^<]*)<\/td>/.exec(row);
    return [label, (td?.[1] ?? td?.[2] ?? "").replace(/[^0-9]/g, "")];
  });
}

before(async () => {
  await signUp(admin, `scope-${config.js}@example.com`, "correct horse battery staple");
  await addSiteIn(admin, DOMAIN, TZ);
  await ingest(DOMAIN);
  today = localDay(new Date(), TZ);
  const create = async (key, input) => (links[key] = await createLinkApi(admin, DOMAIN, input));
  await create("plain", { name: "Plain link" });
  await create("fixedPast", { name: "Q3 2025", dateBounds: { kind: "fixed", from: "2025-07-01", to: "2025-09-30" } });
  await create("fixedNow", { name: "Yesterday and today", dateBounds: { kind: "fixed", from: addDays(today, -1), to: today } });
  await create("sincePast", { name: "Since two days ago", dateBounds: { kind: "since", from: addDays(today, -2) } });
  await create("sinceFuture", { name: "From next week", dateBounds: { kind: "since", from: addDays(today, 5) } });
  await create("periodOff", { name: "Last 30 days only", allowPeriodChange: false });
  await create("sections", { name: "Pages and countries", visibleSections: ["page", "country"] });
  await create("noFilters", { name: "No filters", allowFilters: false });
  await create("exporting", { name: "Downloadable", allowExport: true, visibleSections: SECTIONS.filter((s) => s !== "referrer") });
  await create("lockedExport", { name: "Locked download", password: LOCKED_PASSWORD, allowExport: true });
  const doomed = await createLinkApi(admin, DOMAIN, { name: "Deleted one" });
  deletedSlug = doomed.slug;
  assert.equal((await trpc(admin, "sharedLinks.delete", { site: DOMAIN, id: doomed.id }, { mutation: true })).status, 200);
  expiresAt = new Date(Date.now() + 5_000);
  await create("expiring", { name: "Short lived", expiresAt: expiresAt.toISOString() });
  liveBeforeExpiry = (await visitor().get(share("expiring"))).status;
});

describe(`link scope over HTTP (${config.label})`, () => {
  /** The create form's body as a browser without JavaScript sends it. */
  const createForm = ({ name, bounds, fixedFrom = "", fixedTo = "", sinceFrom = "", sections, allow }) => [
    ["name", name],
    ["password", ""],
    ["segmentId", ""],
    ["scope", "1"],
    ["expiresAt", `${addDays(today, 20)}T18:30`],
    ["bounds", bounds],
    ["fixedFrom", fixedFrom],
    ["fixedTo", fixedTo],
    ["sinceFrom", sinceFrom],
    ...sections.map((s) => ["sections", s]),
    ...PERMISSIONS.filter((p) => allow.includes(p)).map((p) => [p, "on"]),
  ];
  const keptValues = (html, form) => {
    const sent = new Map(form.filter(([k]) => k !== "sections"));
    const sections = form.filter(([k]) => k === "sections").map(([, v]) => v);
    return {
      name: valueOf(inputTag(html, "name")),
      expiresAt: valueOf(inputTag(html, "expiresAt")),
      bounds: ["none", "fixed", "since"].filter((b) => isChecked(inputTag(html, "bounds", b))),
      dates: ["fixedFrom", "fixedTo", "sinceFrom"].map((n) => valueOf(inputTag(html, n))),
      sections: SECTIONS.filter((s) => isChecked(inputTag(html, "sections", s))),
      allow: PERMISSIONS.filter((p) => isChecked(inputTag(html, p))),
      expected: {
        name: sent.get("name"),
        expiresAt: sent.get("expiresAt"),
        bounds: [sent.get("bounds")],
        dates: ["fixedFrom", "fixedTo", "sinceFrom"].map((n) => sent.get(n)),
        sections,
        allow: PERMISSIONS.filter((p) => sent.has(p)),
      },
    };
  };

  it("the create form without JavaScript answers 400 for an end date before the start, keeping every value", async () => {
    const form = createForm({
      name: "Kept values",
      bounds: "fixed",
      fixedFrom: "2026-09-30",
      fixedTo: "2026-07-01",
      sections: SECTIONS.filter((s) => !["referrer", "utm_medium", "os"].includes(s)),
      allow: ["allowPeriodChange", "allowExport"],
    });
    const res = await admin.post(SETTINGS, form);
    assert.equal(res.status, 400);
    has(res.body, /The end date must be on or after the start date/);
    has(res.body, /<details class="scope-details" open="">/, "the scope fields stay open after a failed submit");
    const { expected, ...got } = keptValues(res.body, form);
    assert.deepEqual(got, expected);
    assert.ok(!linkRows((await admin.get(SETTINGS)).body).some((r) => r.name === "Kept values"), "nothing was created");
  });

  it("the create form refuses a fixed period longer than ten years and a choice of dates it never offers", async () => {
    const long = await admin.post(SETTINGS, createForm({ name: "Ten years and more", bounds: "fixed", fixedFrom: "2015-01-01", fixedTo: "2026-12-31", sections: ["series"], allow: [] }));
    assert.equal(long.status, 400);
    has(long.body, /A fixed period is at most 10 years/);
    const odd = await admin.post(SETTINGS, createForm({ name: "Odd bounds", bounds: "weird", sinceFrom: "2026-01-01", sections: ["series"], allow: [] }));
    assert.equal(odd.status, 400);
    has(odd.body, /Choose all dates, a fixed period or a start date/);
    const names = linkRows((await admin.get(SETTINGS)).body).map((r) => r.name);
    assert.ok(!names.includes("Ten years and more") && !names.includes("Odd bounds"), "nothing was created");
    const api = await trpc(admin, "sharedLinks.create", { site: DOMAIN, name: "Ten years by API", dateBounds: { kind: "fixed", from: "2015-01-01", to: "2026-12-31" } }, { mutation: true });
    assert.equal(api.status, 400);
  });

  it("the create form answers 400 for a name in use, keeping the earliest date, sections and permissions", async () => {
    const form = createForm({ name: "Plain link", bounds: "since", sinceFrom: "2026-10-01", sections: ["series", "country"], allow: ["allowFilters"] });
    const res = await admin.post(SETTINGS, form);
    assert.equal(res.status, 400);
    has(textOf(res.body), /A shared link named “Plain link” already exists for this site/);
    const { expected, ...got } = keptValues(res.body, form);
    assert.deepEqual(got, expected);
  });

  it("a fixed period in the past: exactly that range whatever ?period= says, no picker, none of today's visits", async () => {
    for (const search of ["?period=7d", "?period=custom&from=2020-01-01&to=2030-12-31", "?period=nonsense"]) {
      const res = await visitor().get(share("fixedPast", search));
      assert.equal(res.status, 200, search);
      assert.ok(totalsOf(res.body).empty || totalsOf(res.body).visitors === 0, `${search}: no visitors`);
      assert.ok(!hasPicker(res.body), `${search}: no period picker`);
      has(textOf(visibleHtml(res.body)), new RegExp(escape(rangeLabel("2025-07-01", "2025-09-30"))), search);
      assert.deepEqual(notices(res.body), [], `${search}: the ignored period is not reported as an error`);
      assert.equal(scopeText(res.body), "This link shows a fixed period.");
    }
    const api = await stats(visitor(), links.fixedPast.slug, { key: "today" });
    assert.equal(api.status, 200);
    assert.deepEqual([api.data.range.from, api.data.range.to, api.data.totals.visitors], ["2025-07-01", "2025-09-30", 0]);
  });

  it("a fixed period that ends today shows today's visits, and ?period= still changes nothing", async () => {
    const res = await visitor().get(share("fixedNow", "?period=7d"));
    assert.equal(res.status, 200);
    const { visitors, pageviews } = totalsOf(res.body);
    assert.deepEqual({ visitors, pageviews }, { visitors: INGESTED.visitors, pageviews: INGESTED.pageviews });
    assert.ok(!hasPicker(res.body));
    has(textOf(visibleHtml(res.body)), new RegExp(escape(rangeLabel(addDays(today, -1), today))));
  });

  it("an earliest date clamps a longer period and says so; a period inside it is left alone", async () => {
    const since = addDays(today, -2);
    const clamped = await visitor().get(share("sincePast", "?period=30d"));
    assert.equal(clamped.status, 200);
    assert.deepEqual(notices(clamped.body), ["Last 30 days starts before the earliest date this link shows, so it was shortened."]);
    assert.equal(scopeText(clamped.body), `This link shows data from ${longDay(since)} on.`);
    assert.ok(hasPicker(clamped.body), "the recipient may still pick periods inside the bounds");
    assert.equal(totalsOf(clamped.body).visitors, INGESTED.visitors);
    const api = await stats(visitor(), links.sincePast.slug, { key: "30d" });
    assert.deepEqual([api.data.range.from, api.data.range.to, api.data.scope.notice !== null], [since, today, true]);
    const inside = await visitor().get(share("sincePast", "?period=today"));
    assert.deepEqual(notices(inside.body), []);
    assert.equal(totalsOf(inside.body).pageviews, INGESTED.pageviews);
  });

  it("a period that ends before the earliest date is shown empty, saying why, not as the first day's figures", async () => {
    const since = addDays(today, 5);
    const res = await visitor().get(share("sinceFuture", "?period=30d"));
    assert.equal(res.status, 200);
    assert.deepEqual(notices(res.body), [`Last 30 days ends before ${longDay(since)}, the earliest date this link shows, so there is nothing to show.`]);
    assert.ok(totalsOf(res.body).empty || totalsOf(res.body).visitors === 0);
    // No advice to wait for visits or to try a longer period: only a period from that day on can show anything.
    has(textOf(res.body), new RegExp(`Nothing to show for this period.*from ${longDay(since)} on: choose a period that ends on or after that day`, "s"));
    lacks(visibleHtml(res.body), /Visits will appear here|Try a longer period/);
    lacks(visibleHtml(res.body), /current visitors?/);
    const api = await stats(visitor(), links.sinceFuture.slug, { key: "7d" });
    assert.deepEqual([api.data.range.from, api.data.range.to, api.data.totals.pageviews, api.data.currentVisitors], [addDays(today, -6), today, 0, null]);
    // A past earliest date with data on it, asked for a range that ends the day before: nothing from that day.
    const from = addDays(today, -20);
    const to = addDays(today, -3);
    const before = await visitor().get(share("sincePast", `?period=custom&from=${from}&to=${to}`));
    assert.equal(before.status, 200);
    assert.equal(notices(before.body).length, 1);
    has(notices(before.body)[0], new RegExp(`ends before ${longDay(addDays(today, -2))}, the earliest date this link shows, so there is nothing to show\\.$`));
    assert.ok(totalsOf(before.body).empty || totalsOf(before.body).visitors === 0);
    const custom = await stats(visitor(), links.sincePast.slug, { key: "custom", from, to });
    assert.deepEqual([custom.data.range.from, custom.data.range.to, custom.data.totals.visitors, custom.data.totals.pageviews], [from, to, 0, 0]);
  });

  it("period change off: no picker, and another period is answered with the last 30 days and a notice", async () => {
    const res = await visitor().get(share("periodOff", "?period=7d"));
    assert.equal(res.status, 200);
    assert.ok(!hasPicker(res.body));
    assert.deepEqual(notices(res.body), ["This link always shows last 30 days."]);
    has(scopeText(res.body), /The period is set by the link\./);
    const api = await stats(visitor(), links.periodOff.slug, { key: "today" });
    assert.deepEqual([api.data.range.from, api.data.range.to], [addDays(today, -29), today]);
  });

  it("hidden sections are neither rendered nor sent: cards, chart and their values absent, hydration data included", async () => {
    const res = await visitor().get(share("sections"));
    assert.equal(res.status, 200);
    for (const dimension of ["page", "country"]) has(res.body, new RegExp(`aria-labelledby="dash-breakdown-${dimension}"`));
    for (const dimension of SECTIONS.slice(1).filter((d) => !["page", "country"].includes(d))) {
      lacks(res.body, new RegExp(`dash-breakdown-${dimension}"`), `${dimension} card`);
    }
    lacks(res.body, /dash-chart-heading/, "no visitors-over-time chart");
    has(res.body, /\/ls-alpha-page/);
    has(res.body, /Germany/);
    for (const mark of [...Object.values(MARKS), "Hacker News", "Windows", "iOS"]) assert.ok(!res.body.includes(mark), `${mark} is in the response`);
    const api = await stats(visitor(), links.sections.slug);
    assert.deepEqual(api.data.breakdowns.map((b) => b.dimension).sort(), ["country", "page"]);
    assert.ok(!api.data.series, "no series sent");
    assert.ok(!JSON.stringify(api.data).includes(MARKS.referrerHost));
  });

  it("a hidden section cannot be reached through more, a filter, the embed or share.breakdown: 403", async () => {
    const refusals = [
      ["?more=referrer", /does not show Referrers?/],
      ["?more=utm_campaign&embed=true", /does not show UTM campaigns/],
      ["?f=referrer,is," + encodeURIComponent(MARKS.referrer), /does not show Referrers?, so it cannot be filtered by it/],
      ["?f=device,is,Desktop", /cannot be filtered by it/],
    ];
    for (const [search, message] of refusals) {
      const res = await visitor().get(share("sections", search));
      assert.equal(res.status, 403, search);
      has(textOf(res.body), message, search);
      has(res.body, /This view is not part of the shared link/);
      lacks(res.body, /Unique visitors|ls-alpha-page|ls_campaign/, `${search}: no figures`);
    }
    const api = await trpc(visitor(), "share.breakdown", { slug: links.sections.slug, period: { key: "30d" }, filters: [], dimension: "referrer" });
    assert.equal(api.status, 403);
    assert.equal(api.error.data.code, "FORBIDDEN");
    const more = await visitor().get(share("sections", "?more=page"));
    assert.equal(more.status, 200, "a visible section's more view works");
    has(more.body, /\/ls-beta-page/);
    const narrowed = await visitor().get(share("sections", "?f=country,is,DE"));
    assert.equal(narrowed.status, 200, "a filter on a visible dimension works");
    const { visitors, pageviews } = totalsOf(narrowed.body);
    assert.deepEqual({ visitors, pageviews }, INGESTED.germany);
  });

  it("filters off: values are plain text, and any filter is refused with 403 and no figures", async () => {
    const res = await visitor().get(share("noFilters"));
    assert.equal(res.status, 200);
    assert.deepEqual(filterLinks(res.body), []);
    has(res.body, /\/ls-alpha-page/);
    has(scopeText(res.body), /Filters are off\./);
    for (const search of ["?f=country,is,DE", "?f=page,is,/ls-alpha-page&more=page", "?embed=true&f=country,is_not,DE"]) {
      const refused = await visitor().get(share("noFilters", search));
      assert.equal(refused.status, 403, search);
      has(refused.body, /This shared link does not allow filters/);
      lacks(refused.body, /Unique visitors|ls-alpha-page|ls-beta-page|Germany/, `${search}: no figures`);
    }
    const api = await stats(visitor(), links.noFilters.slug, { key: "30d" }, [{ dimension: "country", operator: "is", values: ["DE"] }]);
    assert.equal(api.status, 403);
    assert.equal(api.data, undefined);
    const more = await visitor().get(share("noFilters", "?more=page"));
    assert.equal(more.status, 200);
    assert.deepEqual(filterLinks(more.body), [], "no filter links in the more view either");
  });

  it("export allowed: a zip of the visible sections whose figures match the page", async () => {
    const page = await visitor().get(share("exporting"));
    has(visibleHtml(page.body), new RegExp(`<a href="${escape(share("exporting"))}/export(\\?[^"]*)?"[^>]*download`));
    const zip = await download(`${share("exporting")}/export`);
    assert.equal(zip.status, 200);
    assert.equal(zip.headers.get("content-type"), "application/zip");
    has(zip.headers.get("content-disposition") ?? "", /^attachment; filename="glimpse-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.zip"$/);
    assert.equal(zip.bytes.subarray(0, 4).toString("latin1"), "PK\u0003\u0004");
    has(zip.headers.get("cache-control") ?? "", /private, no-store/);
    assert.equal(zip.headers.get("referrer-policy"), "no-referrer");
    const files = unzip(zip.bytes);
    const expected = ["totals", "visitors-over-time", "pages", "entry-pages", "sources", "utm-sources", "utm-mediums", "utm-campaigns", "countries", "devices", "browsers", "operating-systems"];
    assert.deepEqual(Object.keys(files).sort(), expected.map((n) => `${n}.csv`).sort(), "one file per visible section, no referrers");
    const totals = parseCsv(files["totals.csv"]);
    const col = (name) => totals[0].indexOf(name);
    const shown = totalsOf(page.body);
    assert.deepEqual([Number(totals[1][col("visitors")]), Number(totals[1][col("pageviews")])], [shown.visitors, shown.pageviews]);
    assert.deepEqual([Number(totals[1][col("visitors")]), Number(totals[1][col("pageviews")])], [INGESTED.visitors, INGESTED.pageviews]);
    // Top pages: the page shows the first rows, the CSV all of them, in the same order.
    const csvPages = parseCsv(files["pages.csv"]).slice(1).map((r) => [r[0], r[1]]);
    assert.deepEqual(csvPages.slice(0, cardRows(page.body, "page").length), cardRows(page.body, "page"));
    assert.deepEqual(new Set(csvPages.map((r) => r[0])), new Set(["/ls-alpha-page", "/ls-second-page", "/ls-beta-page"]));
    const single = await download(`${share("exporting")}/export?part=page`);
    assert.equal(single.status, 200);
    has(single.headers.get("content-type") ?? "", /^text\/csv/);
    assert.equal(single.bytes.toString("utf8"), files["pages.csv"], "part=page is the zip's pages.csv");
    assert.equal((await download(`${share("exporting")}/export?part=referrer`)).status, 403, "a hidden section as a part");
  });

  it("export escapes cells that a spreadsheet would run as formulas (= + @)", async () => {
    const cell = async (part) => parseCsv((await download(`${share("exporting")}/export?part=${part}`)).bytes.toString("utf8")).slice(1).map((r) => r[0]);
    assert.ok((await cell("utm_campaign")).includes(`'${MARKS.utmCampaign}`), "utm_campaign");
    assert.ok((await cell("utm_source")).includes(`'${MARKS.utmSource}`), "utm_source");
    assert.ok((await cell("utm_medium")).includes(`'${MARKS.utmMedium}`), "utm_medium");
    assert.ok((await cell("source")).includes(`'${MARKS.utmSource}`), "source");
    for (const part of ["utm_campaign", "utm_source", "utm_medium", "source"]) {
      assert.ok(!(await cell(part)).some((v) => /^[=+\-@]/.test(v)), `${part}: no cell starts with = + - @`);
    }
  });

  it("export follows the recipient's view: a filter narrows it, and a filter on a hidden dimension is refused", async () => {
    const de = parseCsv((await download(`${share("exporting")}/export?part=page&f=country,is,DE`)).bytes.toString("utf8")).slice(1).map((r) => r[0]);
    assert.deepEqual(de.sort(), ["/ls-alpha-page", "/ls-second-page"]);
    const totals = parseCsv((await download(`${share("exporting")}/export?part=totals&f=country,is,DE`)).bytes.toString("utf8"));
    assert.equal(Number(totals[1][totals[0].indexOf("visitors")]), INGESTED.germany.visitors);
    assert.equal((await download(`${share("exporting")}/export?f=referrer,is,x`)).status, 403);
  });

  it("export off: 403; a protected link's export: 401 until unlocked", async () => {
    const off = await download(`${share("plain")}/export`);
    assert.equal(off.status, 403);
    has(off.bytes.toString("utf8"), /does not allow downloads/);
    assert.equal((await download(`${share("plain")}/export?part=totals`)).status, 403);
    lacks(visibleHtml((await visitor().get(share("plain"))).body), /Download CSV/);
    const recipient = visitor();
    const locked = await download(`${share("lockedExport")}/export`, recipient);
    assert.equal(locked.status, 401);
    has(locked.bytes.toString("utf8"), /password protected/);
    assert.equal((await recipient.post(share("lockedExport"), { password: LOCKED_PASSWORD })).status, 303);
    const unlocked = await download(`${share("lockedExport")}/export`, recipient);
    assert.equal(unlocked.status, 200);
    assert.equal(unlocked.bytes.subarray(0, 2).toString("latin1"), "PK");
  });

  it("titles the 410 and 403 pages by what they say, not “Shared link not found”", async () => {
    const titleOf = (html) => textOf(/<title>([^<]*)<\/title>/.exec(html)?.[1] ?? "");
    const wait = expiresAt.getTime() + 300 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const gone = await visitor().get(share("expiring"));
    const refused = await visitor().get(share("noFilters", "?f=country,is,DE"));
    assert.deepEqual([gone.status, refused.status], [410, 403]);
    for (const [what, res] of [["410 expired", gone], ["403 filter refused", refused]]) {
      lacks(titleOf(res.body), /not found/i, `${what} page <title> “${titleOf(res.body)}”`);
    }
  });

  it("a deleted link answers 404 on the page, the embed, more, the export and tRPC", async () => {
    const path = `/share/${deletedSlug}`;
    for (const search of ["", "?embed=true", "?more=page"]) {
      const res = await visitor().get(path + search);
      assert.equal(res.status, 404, search);
      has(res.body, /This shared link does not exist/);
    }
    assert.equal((await download(`${path}/export`)).status, 404);
    const api = await stats(visitor(), deletedSlug);
    assert.equal(api.status, 404);
    assert.deepEqual([api.error.data.code, api.error.data.httpStatus], ["NOT_FOUND", 404]);
  });

  it("an expired link answers 410 “This shared link has expired” on the page, the embed, more, the export and tRPC", async () => {
    assert.equal(liveBeforeExpiry, 200, "live before its expiry");
    const wait = expiresAt.getTime() + 300 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    for (const search of ["", "?embed=true", "?more=page", "?period=7d&f=page,is,/ls-alpha-page"]) {
      const res = await visitor().get(share("expiring", search));
      assert.equal(res.status, 410, search);
      has(res.body, /This shared link has expired/);
      assert.equal(res.headers.get("referrer-policy"), "no-referrer", search);
      has(res.headers.get("x-robots-tag") ?? "", /noindex/, search);
      has(res.headers.get("cache-control") ?? "", /no-store/, search);
      lacks(res.body, new RegExp(`${escape(DOMAIN)}|Short lived|Unique visitors`), `${search}: nothing about the link`);
    }
    const exported = await download(`${share("expiring")}/export`);
    assert.equal(exported.status, 410);
    has(exported.bytes.toString("utf8"), /This shared link has expired/);
    for (const procedure of ["share.stats", "share.resolve"]) {
      const input = procedure === "share.stats" ? { slug: links.expiring.slug, period: { key: "30d" }, filters: [] } : { slug: links.expiring.slug };
      const api = await trpc(visitor(), procedure, input);
      assert.equal(api.status, 410, procedure);
      assert.equal(api.error.data.httpStatus, 410, procedure);
      assert.equal(api.error.message, "This shared link has expired");
    }
    const row = linkRows((await admin.get(SETTINGS)).body).find((r) => r.id === links.expiring.id);
    assert.deepEqual([row.state, row.stateLabel], ["expired", "Expired"]);
  });
});

describe(`link scope forms and pages, JavaScript ${config.js}`, () => {
  let browser;
  let page;
  let recipient;
  /** Script errors and console errors (hydration mismatches among them) while JavaScript runs. */
  const scriptErrors = [];
  before(async () => {
    browser = await launchBrowser();
    const context = await newContext(browser);
    await context.addCookies([{ name: "glimpse_session", value: admin.cookie("glimpse_session"), url: config.baseUrl }]);
    page = await context.newPage();
    recipient = await (await newContext(browser)).newPage();
    for (const p of [page, recipient]) {
      p.on("pageerror", (error) => scriptErrors.push(`${p.url()}: ${error.message}`));
      // A 403/404/410 document is expected here; anything else in the console is not.
      p.on("console", (m) => m.type() === "error" && !/Failed to load resource/.test(m.text()) && scriptErrors.push(`${p.url()}: ${m.text()}`));
    }
  });
  after(() => browser?.close());

  const expiryTyped = () => `${addDays(today, 20)}T18:30`;
  const boardScope = () => ({
    expiresAt: expiryTyped(),
    bounds: "fixed",
    fixedFrom: "2026-07-01",
    fixedTo: "2026-09-30",
    sinceFrom: "",
    sections: SECTIONS.filter((s) => !["referrer", "utm_medium", "os"].includes(s)),
    allowPeriodChange: false,
    allowFilters: false,
    allowExport: true,
  });

  async function fillScope(p, v) {
    await p.locator("#field-expiresAt").fill(v.expiresAt);
    await p.locator(`input[name="bounds"][value="${v.bounds}"]`).check();
    if (v.bounds === "fixed") {
      await p.locator("#field-fixedFrom").fill(v.fixedFrom);
      await p.locator("#field-fixedTo").fill(v.fixedTo);
    }
    if (v.bounds === "since") await p.locator("#field-sinceFrom").fill(v.sinceFrom);
    for (const s of SECTIONS) await p.locator(`input[name="sections"][value="${s}"]`).setChecked(v.sections.includes(s));
    for (const name of PERMISSIONS) await p.locator(`input[name="${name}"]`).setChecked(v[name]);
  }

  async function readScope(p, { editing = false } = {}) {
    const bounds = [];
    for (const b of ["none", "fixed", "since"]) if (await p.locator(`input[name="bounds"][value="${b}"]`).isChecked()) bounds.push(b);
    const sections = [];
    for (const s of SECTIONS) if (await p.locator(`input[name="sections"][value="${s}"]`).isChecked()) sections.push(s);
    const values = {
      expiresAt: await p.locator("#field-expiresAt").inputValue(),
      bounds: bounds.join(","),
      fixedFrom: await p.locator("#field-fixedFrom").inputValue(),
      fixedTo: await p.locator("#field-fixedTo").inputValue(),
      sinceFrom: await p.locator("#field-sinceFrom").inputValue(),
      sections,
    };
    for (const name of PERMISSIONS) values[name] = await p.locator(`input[name="${name}"]`).isChecked();
    if (editing) values.paused = await p.locator('input[name="paused"]').isChecked();
    return values;
  }

  const row = (name) => page.locator('table[aria-label="Shared links"] tbody tr').filter({ hasText: name });
  const expectedExpiryLabels = () => {
    const days = (Date.parse(`${expiryTyped()}:00+09:00`) - Date.now()) / 86_400_000;
    return [`Expires in ${Math.floor(days)} days`, `Expires in ${Math.ceil(days)} days`];
  };
  const details = () => page.locator("details.scope-details");

  it("create form: an end date before the start, then a name in use, keep every value (400); then the link is created", async () => {
    await visit(page, SETTINGS);
    assert.equal(await details().evaluate((d) => d.open).catch(() => null), false, "the scope fields start folded away");
    await details().locator("summary").click();
    await page.getByLabel("Name").fill("Board quarter");
    await page.locator("#field-password").fill(LINK_PASSWORD);
    const wrongDates = { ...boardScope(), fixedFrom: "2026-09-30", fixedTo: "2026-07-01" };
    await fillScope(page, wrongDates);
    const first = await submit(page, page.getByRole("button", { name: "Create shared link" }));
    assert.equal(first.status(), 400);
    await page.getByText("The end date must be on or after the start date").first().waitFor();
    assert.ok(await details().evaluate((d) => d.open), "still open after the error");
    assert.equal(await page.getByLabel("Name").inputValue(), "Board quarter");
    assert.deepEqual(await readScope(page), { ...wrongDates, bounds: "fixed" });
    await screenshot(page, "create-form-error");

    await page.getByLabel("Name").fill("Plain link");
    await page.locator("#field-password").fill(LINK_PASSWORD);
    await page.locator("#field-fixedFrom").fill("2026-07-01");
    await page.locator("#field-fixedTo").fill("2026-09-30");
    const second = await submit(page, page.getByRole("button", { name: "Create shared link" }));
    assert.equal(second.status(), 400);
    await page.getByText("A shared link named “Plain link” already exists for this site").first().waitFor();
    assert.deepEqual(await readScope(page), boardScope());

    await page.getByLabel("Name").fill("Board quarter");
    await page.locator("#field-password").fill(LINK_PASSWORD);
    await submit(page, page.getByRole("button", { name: "Create shared link" }));
    await page.getByText("Shared link “Board quarter” created").waitFor();
    const board = row("Board quarter");
    assert.equal((await board.locator(".scope-summary").innerText()).trim(), "Jul 1 – Sep 30, 2026 · 9 of 12 sections · no filters · CSV download");
    assert.ok(expectedExpiryLabels().includes((await board.locator(".badge-active").innerText()).trim()));
    has(await board.innerText(), /Protected/);
    assert.equal((await row("Plain link").locator(".scope-summary").innerText()).trim(), "All dates and sections");
    assert.equal((await row("Short lived").locator(".badge-expired").innerText()).trim(), "Expired");
    await screenshot(page, "list");
    assert.deepEqual(await axeCheck(page, "list"), []);
  });

  it("create form: axe finds nothing serious with the scope fields open and showing an error", async () => {
    const violations = await axeCheckPrepared(page, "create-form", async (probe) => {
      await probe.locator("details.scope-details > summary").click();
      await probe.getByLabel("Name").fill("Axe probe");
      await fillScope(probe, { ...boardScope(), fixedFrom: "2026-09-30", fixedTo: "2026-07-01" });
      await probe.getByRole("button", { name: "Create shared link" }).click();
      await probe.getByText("The end date must be on or after the start date").first().waitFor();
    });
    assert.deepEqual(violations, []);
  });

  it("the API stores what the form was given: the expiry in the site's time zone, bounds, sections, permissions", async () => {
    links.board = linkRows((await admin.get(SETTINGS)).body).find((r) => r.name === "Board quarter");
    const got = await trpc(admin, "sharedLinks.get", { site: DOMAIN, id: links.board.id });
    assert.equal(got.status, 200);
    links.board.slug = got.data.slug;
    const want = boardScope();
    assert.deepEqual(
      {
        expiresAt: got.data.expiresAt,
        paused: got.data.paused,
        dateBounds: got.data.dateBounds,
        visibleSections: got.data.visibleSections,
        ...Object.fromEntries(PERMISSIONS.map((p) => [p, got.data[p]])),
      },
      {
        expiresAt: new Date(`${want.expiresAt}:00+09:00`).toISOString(),
        paused: false,
        dateBounds: { kind: "fixed", from: want.fixedFrom, to: want.fixedTo },
        visibleSections: want.sections,
        ...Object.fromEntries(PERMISSIONS.map((p) => [p, want[p]])),
      },
    );
  });

  it("edit form: shows the stored values as typed", async () => {
    await visit(page, SETTINGS);
    await page.getByRole("link", { name: "Edit Board quarter" }).click();
    await page.getByRole("heading", { name: "Edit “Board quarter”" }).waitFor();
    await visit(page, new URL(page.url()).pathname);
    assert.deepEqual(await readScope(page, { editing: true }), { ...boardScope(), paused: false });
    await screenshot(page, "edit-form");
    assert.deepEqual(await axeCheck(page, "edit-form"), []);
  });

  it("pausing through the edit form: 410 “This shared link is paused” everywhere, even with an unlock cookie", async () => {
    const holder = visitor();
    assert.equal((await holder.post(share("board"), { password: LINK_PASSWORD })).status, 303);
    assert.ok(isDashboard((await holder.get(share("board"))).body, DOMAIN), "unlocked before the pause");

    const editPath = `${SETTINGS}/shared-links/${links.board.id}/edit`;
    await visit(page, editPath);
    await page.locator('input[name="paused"]').check();
    await submit(page, page.getByRole("button", { name: "Save changes" }));
    await page.getByText("Shared link “Board quarter” updated").waitFor();
    assert.equal((await row("Board quarter").locator(".badge-paused").innerText()).trim(), "Paused");
    await screenshot(page, "list-paused-expired");
    // This server has no SMTP_URL: the digest page says digests are off, and that a paused link sends none.
    await visit(page, `${SETTINGS}/shared-links/${links.board.id}/digest`);
    await page.getByText("Digests are off on this server.").waitFor();
    await page.getByText("This link is paused, so no digest is sent until it is resumed.").waitFor();
    await screenshot(page, "digest-off-paused");

    for (const search of ["", "?embed=true", "?more=page"]) {
      const res = await holder.get(share("board", search));
      assert.equal(res.status, 410, search);
      has(res.body, /This shared link is paused/);
      lacks(res.body, new RegExp(`${escape(DOMAIN)}|Board quarter`));
    }
    assert.equal((await holder.post(share("board"), { password: LINK_PASSWORD })).status, 410, "no unlocking a paused link");
    assert.equal((await download(`${share("board")}/export`, holder)).status, 410);
    const api = await stats(holder, links.board.slug);
    assert.deepEqual([api.status, api.error?.data?.httpStatus, api.error?.message], [410, 410, "This shared link is paused"]);

    const res = await visit(recipient, share("board"));
    assert.equal(res.status(), 410);
    await recipient.getByRole("heading", { name: "This shared link is paused" }).waitFor();
    await screenshot(recipient, "share-paused");
    assert.deepEqual(await axeCheck(recipient, "share-paused"), []);

    await visit(page, editPath);
    assert.ok(await page.locator('input[name="paused"]').isChecked(), "the edit form shows it paused");
    await page.locator('input[name="paused"]').uncheck();
    await submit(page, page.getByRole("button", { name: "Save changes" }));
    await page.getByText("Shared link “Board quarter” updated").waitFor();
    assert.ok(expectedExpiryLabels().includes((await row("Board quarter").locator(".badge-active").innerText()).trim()), "active again, same expiry");

    const after = await holder.get(share("board"));
    assert.equal(after.status, 200);
    assert.ok(isPasswordForm(after.body), "the unlock from before the pause no longer opens it");
    assert.equal((await holder.post(share("board"), { password: LINK_PASSWORD })).status, 303);
    assert.ok(isDashboard((await holder.get(share("board"))).body, DOMAIN), "the password opens it again");
  });

  it("share page: a clamped period is said, the picker stays; a fixed period has no picker", async () => {
    await visit(recipient, share("sincePast", "?period=30d"));
    await recipient.locator(".dash-notice").getByText("Last 30 days starts before the earliest date this link shows, so it was shortened.").waitFor();
    assert.equal(await recipient.locator("#dash-period-select").count(), 1);
    await screenshot(recipient, "share-clamped");
    assert.deepEqual(await axeCheck(recipient, "share-clamped"), []);

    await visit(recipient, share("fixedNow", "?period=7d"));
    await recipient.locator(".dash-scope__text").getByText("This link shows a fixed period.").waitFor();
    assert.equal(await recipient.locator("#dash-period-select").count(), 0);
    await screenshot(recipient, "share-fixed");
  });

  it("share page: hidden sections, filters off, and the 403 page for a filter", async () => {
    await visit(recipient, share("sections"));
    await recipient.locator('section[aria-labelledby="dash-breakdown-page"]').waitFor();
    assert.equal(await recipient.locator(".dash-chart").count(), 0);
    assert.equal(await recipient.locator(".dash-breakdown").count(), 2);
    await screenshot(recipient, "share-sections");

    await visit(recipient, share("noFilters"));
    await recipient.locator(".dash-scope__text").getByText(/Filters are off\./).waitFor();
    assert.equal(await recipient.locator('.dash-breakdown a[href*="f="]').count(), 0);
    await screenshot(recipient, "share-no-filters");

    const refused = await visit(recipient, share("noFilters", "?f=country,is,DE"));
    assert.equal(refused.status(), 403);
    await recipient.getByRole("heading", { name: "This view is not part of the shared link" }).waitFor();
    await recipient.getByRole("link", { name: "Open the shared dashboard" }).click();
    await recipient.waitForURL((url) => url.pathname === share("noFilters") && url.search === "");
    await recipient.locator(".dash-scope__text").waitFor();
  });

  it("share page: “Download CSV” downloads the zip of the view", async () => {
    await visit(recipient, share("exporting", "?period=today"));
    const [file] = await Promise.all([recipient.waitForEvent("download"), recipient.getByRole("link", { name: "Download CSV" }).click()]);
    has(file.suggestedFilename(), /^glimpse-.*\.zip$/);
    const bytes = readFileSync(await file.path());
    assert.equal(bytes.subarray(0, 4).toString("latin1"), "PK\u0003\u0004");
    const totals = parseCsv(unzip(bytes)["totals.csv"]);
    assert.deepEqual([totals[1][0], totals[1][1]], [today, today], "the period of the page the link was on");
    await screenshot(recipient, "share-download");
  });

  it("an expired link's page: 410 “This shared link has expired”", async () => {
    const res = await visit(recipient, share("expiring"));
    assert.equal(res.status(), 410);
    await recipient.getByRole("heading", { name: "This shared link has expired" }).waitFor();
    await screenshot(recipient, "share-expired");
    assert.deepEqual(await axeCheck(recipient, "share-expired"), []);
  });

  it("an expired link's edit form keeps the past expiry on other changes, and removing it makes the link live again", async () => {
    const editPath = `${SETTINGS}/shared-links/${links.expiring.id}/edit`;
    await visit(page, editPath);
    const typed = await page.locator("#field-expiresAt").inputValue();
    assert.equal(typed, new Intl.DateTimeFormat("sv-SE", { timeZone: TZ, dateStyle: "short", timeStyle: "short" }).format(expiresAt).replace(" ", "T"));
    await page.locator('input[name="allowExport"]').check();
    const kept = await submit(page, page.getByRole("button", { name: "Save changes" }));
    assert.notEqual(kept.status(), 400, "the unchanged past expiry is not refused");
    await page.getByText("Shared link “Short lived” updated").waitFor();
    assert.equal((await row("Short lived").locator(".badge-expired").innerText()).trim(), "Expired");
    assert.equal((await visitor().get(share("expiring"))).status, 410);

    await visit(page, editPath);
    await page.locator("#field-expiresAt").fill("");
    await submit(page, page.getByRole("button", { name: "Save changes" }));
    await page.getByText("Shared link “Short lived” updated").waitFor();
    assert.equal((await row("Short lived").locator(".badge-active").innerText()).trim(), "Active");
    assert.equal((await row("Short lived").locator(".scope-summary").innerText()).trim(), "CSV download");
    const live = await visitor().get(share("expiring"));
    assert.equal(live.status, 200);
    assert.ok(isDashboard(live.body, DOMAIN));
  });

  it("no new page scrolls sideways at 360 px", () => {
    assert.deepEqual(overflows, []);
  });

  it("no script or console errors on these pages", () => {
    assert.deepEqual(scriptErrors, []);
  });
});
