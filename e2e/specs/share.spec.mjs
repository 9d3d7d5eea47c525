// The recipient's side (issue 5): /share/:slug with password unlock in a signed cookie, absolute
// segment restriction, brute-force limits, embed headers and usage counts. The HTTP contract is
// checked with plain fetch (exact statuses, headers and forged cookies); the page flows run in
// Chromium with JavaScript off and on.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { deleteLink, editLink, listLinks } from "../lib/admin-http.mjs";
import { axeCheck, config, launchBrowser, newContext, overflows, ready, screenshot, submit, visit } from "../lib/browser.mjs";
import { Client, parseSetCookie, visibleHtml } from "../lib/http.mjs";
import { PASSWORDS, isDashboard, isPasswordForm, setUpShareFixtures, totalsOf } from "../lib/share-fixtures.mjs";

const DOMAIN = `share-js-${config.js}.example`;
const MAX_ATTEMPTS = Number(process.env.UNLOCK_MAX_ATTEMPTS ?? 10);
const WINDOW_SECONDS = Number(process.env.UNLOCK_WINDOW_MINUTES ?? 15) * 60;

/** @type {Awaited<ReturnType<typeof setUpShareFixtures>>} */
let fx;
let ipCounter = 0;
/** A visitor with an address of its own, so per-IP limits of one test do not leak into the next. */
const visitor = () => new Client(config.baseUrl, { ip: `198.51.100.${++ipCounter}` });
const sharePath = (key, search = "") => `/share/${fx.links[key].slug}${search}`;
const frameAncestors = (res) => /frame-ancestors ([^;]+)/.exec(res.headers.get("content-security-policy") ?? "")?.[1]?.trim();
const normalise = (html) => visibleHtml(html).replace(/ nonce="[^"]*"/g, "");

before(async () => {
  fx = await setUpShareFixtures(config.baseUrl, DOMAIN);
});

describe(`share page over HTTP (${config.label})`, () => {
  it("answers an unknown slug and a deleted slug with the same 404 page", async (t) => {
    const unknown = await visitor().get(`/share/${randomBytes(16).toString("base64url").slice(0, 21)}`);
    const deleted = await visitor().get(`/share/${fx.deletedSlug}`);
    for (const res of [unknown, deleted]) assert.equal(res.status, 404);
    assert.equal(normalise(deleted.body), normalise(unknown.body));
    assert.match(unknown.body, /This shared link does not exist/);
    assert.equal(unknown.headers.get("referrer-policy"), "no-referrer");
    t.diagnostic(`404 page <title>: ${/<title>([^<]*)<\/title>/.exec(unknown.body)?.[1]}`);
  });

  it("answers a malformed (over-long) slug with the same 404 page", async () => {
    // Regression (fixed): server/schemas/share.ts caps slugs at 64 characters, the resulting BAD_REQUEST is not
    // caught by the share loader (only NOT_FOUND is), so the visitor gets 400 “This dashboard could
    // not be shown” instead of the 404 the schema comment promises.
    const unknown = await visitor().get(`/share/${randomBytes(16).toString("base64url").slice(0, 21)}`);
    const odd = await visitor().get(`/share/${"x".repeat(200)}`);
    assert.equal(odd.status, 404);
    assert.equal(normalise(odd.body), normalise(unknown.body));
  });

  it("titles the 404 page as not found, not as a password prompt", async () => {
    // Regression (fixed): app/routes/share.$slug.tsx meta() falls back to “Password required · Glimpse” whenever
    // there is no open dashboard, including the 404 error page.
    const res = await visitor().get(`/share/${fx.deletedSlug}`);
    assert.doesNotMatch(/<title>([^<]*)<\/title>/.exec(res.body)?.[1] ?? "", /Password required/);
  });

  it("renders an open link's dashboard without any admin chrome", async () => {
    const res = await visitor().get(sharePath("open"));
    assert.equal(res.status, 200);
    assert.ok(isDashboard(res.body, DOMAIN), "dashboard with the site's domain as title");
    const page = visibleHtml(res.body);
    assert.doesNotMatch(page, /Log out|API keys|href="\/sites|href="\/"|\/settings\//);
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.match(res.headers.get("x-robots-tag") ?? "", /noindex/);
    assert.equal(frameAncestors(res), "'none'");
  });

  it("shows only the password form for a protected link: no site, no name, noindex, no-referrer, not frameable", async () => {
    const res = await visitor().get(sharePath("protected", "?period=7d"));
    assert.equal(res.status, 200);
    assert.ok(isPasswordForm(res.body));
    // The whole response, hydration data included, must not reveal which site or link this is.
    assert.doesNotMatch(res.body, new RegExp(`${DOMAIN.replace(/\./g, "\\.")}|Board deck|Unique visitors`));
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.match(res.headers.get("x-robots-tag") ?? "", /noindex/);
    assert.match(res.body, /<meta name="robots" content="noindex/);
    assert.equal(frameAncestors(res), "'none'");
    assert.match(res.headers.get("cache-control") ?? "", /no-store/);
  });

  it("answers a wrong password with 401 and “Incorrect password. Please try again.”, revealing nothing", async () => {
    const res = await visitor().post(sharePath("protected", "?period=7d"), { password: "not the password" });
    assert.equal(res.status, 401);
    assert.match(res.body, /Incorrect password\. Please try again\./);
    assert.ok(isPasswordForm(res.body));
    assert.doesNotMatch(res.body, new RegExp(`${DOMAIN.replace(/\./g, "\\.")}|Board deck`));
    assert.equal(res.setCookies.filter((c) => c.startsWith("glimpse_unlock=")).length, 0);
  });

  it("compares passwords exactly: no trimming, case-sensitive", async () => {
    for (const attempt of [` ${PASSWORDS.protected}`, `${PASSWORDS.protected} `, PASSWORDS.protected.toUpperCase()]) {
      assert.equal((await visitor().post(sharePath("protected"), { password: attempt })).status, 401, JSON.stringify(attempt));
    }
  });

  it("unlocks with the right password: 303 to the same URL and query, with an HttpOnly, SameSite=Lax, Path=/share cookie for 24 hours", async (t) => {
    const v = visitor();
    const search = "?period=7d&f=page,is,/pricing";
    const res = await v.post(sharePath("protected", search), { password: PASSWORDS.protected });
    assert.equal(res.status, 303);
    const location = new URL(res.location, config.baseUrl);
    assert.equal(location.pathname, sharePath("protected"));
    assert.deepEqual([...location.searchParams], [...new URLSearchParams(search)]);
    const line = res.setCookies.find((c) => c.startsWith("glimpse_unlock="));
    assert.ok(line, "an unlock cookie is set");
    const cookie = parseSetCookie(line);
    assert.equal(cookie.attributes.httponly, true);
    assert.equal(String(cookie.attributes.samesite).toLowerCase(), "lax");
    assert.equal(cookie.attributes.path, "/share");
    assert.equal(Number(cookie.attributes["max-age"]), 24 * 3600);
    // Every slug entry carries its own 24-hour expiry inside the signed value.
    const payload = JSON.parse(Buffer.from(decodeURIComponent(cookie.value).split(".")[0], "base64").toString("utf8"));
    const entry = payload[fx.links.protected.slug];
    assert.ok(entry && Math.abs(entry.e - (Date.now() / 1000 + 24 * 3600)) < 120, `entry expiry ${JSON.stringify(entry)}`);
    t.diagnostic(
      `unlock cookie Secure attribute over http with NODE_ENV=production: ${cookie.attributes.secure ? "SET (Secure follows NODE_ENV, not the PUBLIC_URL scheme)" : "not set"}`,
    );
    const page = await v.get(sharePath("protected", search));
    assert.equal(page.status, 200);
    assert.ok(isDashboard(page.body, DOMAIN));
    assert.match(page.body, /Last 7 days/);
  });

  it("treats a tampered or unsigned cookie as locked", async () => {
    const v = visitor();
    await v.post(sharePath("protected"), { password: PASSWORDS.protected });
    const good = v.cookie("glimpse_unlock");
    assert.ok(isDashboard((await v.get(sharePath("protected"))).body, DOMAIN));
    const [value, signature] = decodeURIComponent(good).split(".");
    const flipped = signature.slice(0, -2) + (signature.at(-2) === "A" ? "B" : "A") + signature.at(-1);
    const longer = Buffer.from(JSON.stringify({ [fx.links.protected.slug]: { f: "x".repeat(32), e: 4102444800 } })).toString("base64");
    for (const forged of [`${value}.${flipped}`, value, `${longer}.${signature}`, "garbage", ""]) {
      v.setCookie("glimpse_unlock", encodeURIComponent(forged));
      const res = await v.get(sharePath("protected"));
      assert.equal(res.status, 200);
      assert.ok(isPasswordForm(res.body), `cookie ${forged.slice(0, 20)}… must not unlock`);
    }
  });

  it("does not open slug B with the unlock cookie of slug A, even with A's entry copied under B's slug", async () => {
    const v = visitor();
    await v.post(sharePath("protected"), { password: PASSWORDS.protected });
    assert.ok(isPasswordForm((await v.get(sharePath("other"))).body), "A's cookie sent to B");
    const [value, signature] = decodeURIComponent(v.cookie("glimpse_unlock")).split(".");
    const payload = JSON.parse(Buffer.from(value, "base64").toString("utf8"));
    const copied = { ...payload, [fx.links.other.slug]: payload[fx.links.protected.slug] };
    v.setCookie("glimpse_unlock", encodeURIComponent(`${Buffer.from(JSON.stringify(copied)).toString("base64")}.${signature}`));
    assert.ok(isPasswordForm((await v.get(sharePath("other"))).body), "A's entry copied to B's slug");
  });

  it("locks visitors out when the password changes, opens the link when it is removed, and re-adding one locks old unlocks", async () => {
    const v = visitor();
    await v.post(sharePath("other"), { password: PASSWORDS.other });
    assert.ok(isDashboard((await v.get(sharePath("other"))).body, DOMAIN), "unlocked");
    await editLink(fx.admin, DOMAIN, fx.links.other.id, { name: "Other protected", passwordAction: "replace", password: PASSWORDS.changed });
    assert.ok(isPasswordForm((await v.get(sharePath("other"))).body), "locked after the password changed");
    assert.equal((await v.post(sharePath("other"), { password: PASSWORDS.changed })).status, 303);
    assert.ok(isDashboard((await v.get(sharePath("other"))).body, DOMAIN), "the new password opens it");
    await editLink(fx.admin, DOMAIN, fx.links.other.id, { name: "Other protected", passwordAction: "remove" });
    assert.ok(isDashboard((await visitor().get(sharePath("other"))).body, DOMAIN), "open for everyone without a password");
    await editLink(fx.admin, DOMAIN, fx.links.other.id, { name: "Other protected", password: PASSWORDS.changed });
    assert.ok(isPasswordForm((await v.get(sharePath("other"))).body), "the same password set again does not revive the old unlock");
  });

  it("answers 404 for a deleted link even with a valid unlock cookie", async () => {
    const v = visitor();
    await v.post(sharePath("doomed"), { password: PASSWORDS.doomed });
    assert.ok(isDashboard((await v.get(sharePath("doomed"))).body, DOMAIN));
    await deleteLink(fx.admin, DOMAIN, fx.links.doomed.id);
    const res = await v.get(sharePath("doomed"));
    assert.equal(res.status, 404);
    assert.match(res.body, /This shared link does not exist/);
    assert.equal((await v.post(sharePath("doomed"), { password: PASSWORDS.doomed })).status, 404);
  });

  it(`rate limits wrong passwords: attempt ${MAX_ATTEMPTS + 1} from one address gets 429 with Retry-After and a friendly message, and nobody else is locked out`, async () => {
    const attacker = visitor();
    for (let i = 1; i <= MAX_ATTEMPTS; i += 1) {
      assert.equal((await attacker.post(sharePath("brute"), { password: `guess number ${i}` })).status, 401, `attempt ${i}`);
    }
    const blocked = await attacker.post(sharePath("brute"), { password: "one more guess" });
    assert.equal(blocked.status, 429);
    const retryAfter = Number(blocked.headers.get("retry-after"));
    assert.ok(retryAfter > 0 && retryAfter <= WINDOW_SECONDS, `Retry-After ${blocked.headers.get("retry-after")}`);
    assert.match(blocked.body, /Too many incorrect passwords/);
    assert.match(blocked.body, /try again in \d+ minutes?/);
    assert.ok(isPasswordForm(blocked.body));
    assert.equal((await attacker.post(sharePath("brute"), { password: PASSWORDS.brute })).status, 429, "the right password waits too, from that address");
    assert.equal((await visitor().post(sharePath("brute"), { password: "fresh address" })).status, 401, "another address still has its own attempts");
    assert.equal((await visitor().post(sharePath("brute"), { password: PASSWORDS.brute })).status, 303, "a recipient elsewhere gets in");
    const other = visitor();
    assert.equal((await other.post(sharePath("protected"), { password: PASSWORDS.protected })).status, 303, "others can still unlock other links");
  });

  it("lists failed unlock attempts on the settings page", async () => {
    const row = (await listLinks(fx.admin, DOMAIN)).find((l) => l.id === fx.links.brute.id);
    assert.match(row.access, /Protected \d+ failed unlocks?, last just now/);
  });

  it("sends frame-ancestors * only for an open link's embed; the page and the password form send 'none'", async () => {
    const v = visitor();
    const embed = await v.get(sharePath("open", "?embed=true&theme=dark"));
    assert.equal(embed.status, 200);
    assert.equal(frameAncestors(embed), "*");
    assert.doesNotMatch(visibleHtml(embed.body), /Read-only shared dashboard/, "no footer in embeds");
    assert.equal(frameAncestors(await v.get(sharePath("open"))), "'none'");
    assert.equal(frameAncestors(await v.get(sharePath("protected", "?embed=true"))), "'none'");
    assert.equal(frameAncestors(await v.get(`/share/${fx.deletedSlug}?embed=true`)), "'none'");
    assert.equal(frameAncestors(await fx.admin.get(`/sites/${DOMAIN}/settings/visibility`)), "'none'");
  });

  describe("segment restriction", () => {
    let plain;
    before(async () => {
      plain = totalsOf((await visitor().get(sharePath("segment"))).body);
    });

    it("shows exactly the segment's numbers", async (t) => {
      const open = totalsOf((await visitor().get(sharePath("open"))).body);
      if (!fx.ingested) {
        t.skip("no /api/event route: nothing ingested, dashboards are empty");
        return;
      }
      assert.deepEqual({ visitors: open.visitors, pageviews: open.pageviews }, { visitors: fx.ingested.visitors, pageviews: fx.ingested.pageviews });
      assert.deepEqual({ visitors: plain.visitors, pageviews: plain.pageviews }, fx.ingested.mobile);
    });

    const attempts = [
      "?f=device,is_not,Mobile",
      "?f=device,is,Desktop",
      "?f=device,is,Mobile&f=device,is,Desktop",
      "?f=device,contains,",
      "?segment=",
      "?segment=none&segmentId=&segment_id=",
      "?f=",
      "?filters=",
      "?f=page,is_not,/nothing",
    ];
    for (const search of attempts) {
      it(`${search} only narrows and keeps the segment shown`, async () => {
        const res = await visitor().get(sharePath("segment", search));
        assert.equal(res.status, 200);
        assert.match(res.body, /Showing: <strong>Mobile visitors<\/strong>/);
        const got = totalsOf(res.body);
        assert.ok(got.visitors <= plain.visitors && got.pageviews <= plain.pageviews, `${JSON.stringify(got)} vs segment ${JSON.stringify(plain)}`);
        if (fx.ingested && ["?f=device,is_not,Mobile", "?f=device,is,Desktop"].includes(search)) assert.equal(got.visitors, 0);
      });
    }

    it("tRPC share.stats rejects inputs that try to name or drop the segment, and filters only narrow", async () => {
      const call = async (input) => {
        const res = await visitor().get(`/api/trpc/share.stats?input=${encodeURIComponent(JSON.stringify(input))}`);
        return { status: res.status, json: JSON.parse(res.body) };
      };
      const base = { slug: fx.links.segment.slug, period: { key: "30d" } };
      for (const extra of [{ segment: null }, { segmentId: null }, { segmentFilters: [] }]) {
        assert.equal((await call({ ...base, ...extra })).status, 400, JSON.stringify(extra));
      }
      const all = await call({ ...base, filters: [] });
      assert.equal(all.status, 200);
      assert.equal(all.json.result.data.totals.visitors, plain.visitors);
      const negated = await call({ ...base, filters: [{ dimension: "device", operator: "is_not", values: ["Mobile"] }] });
      assert.equal(negated.json.result.data.totals.visitors, 0);
      const locked = await call({ slug: fx.links.protected.slug, period: { key: "30d" } });
      assert.equal(locked.status, 401);
    });
  });

  it("counts dashboard views in the settings list (flushed within ~5 s), not locked visits", async () => {
    const deadline = Date.now() + 10_000;
    let rows;
    do {
      rows = await listLinks(fx.admin, DOMAIN);
      if (!/^0 views/.test(rows.find((l) => l.id === fx.links.open.id).views)) break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < deadline);
    assert.match(rows.find((l) => l.id === fx.links.open.id).views, /^[1-9]\d* views? last just now/);
    assert.match(rows.find((l) => l.id === fx.links.brute.id).views, /^0 views never viewed/, "password-form visits are not views");
  });
});

describe(`share page in the browser, JavaScript ${config.js}`, () => {
  let browser;
  let page;
  before(async () => {
    browser = await launchBrowser();
    page = await (await newContext(browser)).newPage();
  });
  after(() => browser?.close());

  it("open link: the dashboard, with links that stay on the share page", async () => {
    const res = await visit(page, sharePath("open"));
    assert.equal(res.status(), 200);
    await page.locator("h1.dash-site", { hasText: DOMAIN }).waitFor();
    assert.equal(await page.getByText("Log out").count(), 0);
    const hrefs = await page.locator("a[href]").evaluateAll((as) => as.map((a) => new URL(a.href).pathname));
    assert.deepEqual([...new Set(hrefs)].filter((p) => p !== sharePath("open")), [], "every link stays on this dashboard");
    await screenshot(page, "share-open");
    assert.deepEqual(await axeCheck(page, "share-open"), []);
  });

  it("segment link: shows “Showing: Mobile visitors” with its fixed filter", async () => {
    await visit(page, sharePath("segment", "?f=device,is_not,Mobile"));
    await page.getByText("Showing:").waitFor();
    assert.match(await page.locator(".dash-segment").innerText(), /Showing: Mobile visitors[\s\S]*Device is Mobile/);
    await screenshot(page, "share-segment-narrowed");
    await visit(page, sharePath("segment"));
    await screenshot(page, "share-segment");
  });

  it("embed: chrome-less dashboard", async () => {
    await visit(page, sharePath("open", "?embed=true&theme=dark"));
    await page.locator("h1.dash-site").waitFor();
    assert.equal(await page.getByText("Read-only shared dashboard").count(), 0);
    await screenshot(page, "share-embed-dark");
  });

  const protectedUrl = () => sharePath("protectedSegment", "?period=7d");
  const lockedHeading = () => page.getByRole("heading", { name: "This dashboard is password protected" });

  it("protected link: only the password form, revealing neither site, link nor segment", async () => {
    await visit(page, protectedUrl());
    await lockedHeading().waitFor();
    const text = await page.locator("body").innerText();
    assert.doesNotMatch(text, new RegExp(`${DOMAIN.replace(/\./g, "\\.")}|Phones, protected|Mobile visitors`));
    await screenshot(page, "share-password");
    assert.deepEqual(await axeCheck(page, "share-password"), []);
  });

  it("protected link: a wrong password shows “Incorrect password. Please try again.” with status 401", async () => {
    await visit(page, protectedUrl());
    await page.getByLabel("Password").fill("wrong password here");
    const wrong = await submit(page, page.getByRole("button", { name: "View dashboard" }));
    // Regression (fixed): share pages send Referrer-Policy: no-referrer, so Chromium posts the password form with
    // `Origin: null` (and Sec-Fetch-Site: same-origin); the CSRF check in scripts/serve.mjs treats
    // that as cross-site and answers 403. Without JavaScript nobody can unlock a protected link.
    assert.notEqual(wrong.status(), 403, "password form POST refused by the CSRF check (Origin: null from a no-referrer page)");
    assert.equal(wrong.status(), 401);
    await page.getByRole("alert").filter({ hasText: "Incorrect password. Please try again." }).waitFor();
    await screenshot(page, "share-password-wrong");
  });

  it("protected link: the right password opens the dashboard at the same URL, query kept", async () => {
    await visit(page, protectedUrl());
    await page.getByLabel("Password").fill(PASSWORDS.protected);
    const res = await submit(page, page.getByRole("button", { name: "View dashboard" }));
    // Regression (fixed): same as above — without JavaScript this POST is answered 403.
    assert.notEqual(res.status(), 403, "password form POST refused by the CSRF check (Origin: null from a no-referrer page)");
    await page.locator("h1.dash-site", { hasText: DOMAIN }).waitFor();
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, protectedUrl());
    assert.match(await page.locator(".dash-segment").innerText(), /Showing: Mobile visitors/);
    const cookie = (await page.context().cookies()).find((c) => c.name === "glimpse_unlock");
    assert.ok(cookie?.httpOnly && cookie.path === "/share" && cookie.sameSite === "Lax", JSON.stringify(cookie));
    await screenshot(page, "share-unlocked");
  });

  it("protected link: stays unlocked on reload, locks after a password change, 404 after delete", async (t) => {
    if (!(await page.context().cookies()).some((c) => c.name === "glimpse_unlock")) {
      // The browser could not unlock (see the BUG above): carry on with a cookie unlocked over HTTP.
      t.diagnostic("browser unlock failed; continuing with an unlock cookie obtained over HTTP");
      const v = visitor();
      assert.equal((await v.post(protectedUrl(), { password: PASSWORDS.protected })).status, 303);
      await page.context().addCookies([{ name: "glimpse_unlock", value: v.cookie("glimpse_unlock"), url: `${config.baseUrl}/share/`, httpOnly: true, sameSite: "Lax" }]);
    }
    await visit(page, protectedUrl());
    await page.locator("h1.dash-site", { hasText: DOMAIN }).waitFor();
    await page.reload();
    await page.locator("h1.dash-site", { hasText: DOMAIN }).waitFor();

    await editLink(fx.admin, DOMAIN, fx.links.protectedSegment.id, {
      name: "Phones, protected",
      passwordAction: "replace",
      password: PASSWORDS.changed,
      segmentId: fx.segment.id,
    });
    await page.reload();
    await lockedHeading().waitFor();

    await deleteLink(fx.admin, DOMAIN, fx.links.protectedSegment.id);
    const gone = await page.reload();
    assert.equal(gone.status(), 404);
    await page.getByRole("heading", { name: "This shared link does not exist" }).waitFor();
    await screenshot(page, "share-404");
  });

  it("too many wrong passwords: a friendly 429 page", async () => {
    const context = await newContext(browser, { extraHTTPHeaders: { "X-Forwarded-For": "192.0.2.77" } });
    try {
      const p = await context.newPage();
      await visit(p, sharePath("brute"));
      let status = 0;
      for (let i = 0; i <= MAX_ATTEMPTS + 1 && status !== 429; i += 1) {
        await p.getByLabel("Password").fill(`browser guess ${i}`);
        status = (await submit(p, p.getByRole("button", { name: "View dashboard" }))).status();
        // Regression (fixed): see above (Origin: null → 403 without JavaScript).
        assert.notEqual(status, 403, "password form POST refused by the CSRF check");
        await ready(p);
      }
      assert.equal(status, 429);
      await p.getByRole("alert").filter({ hasText: /Too many incorrect passwords/ }).waitFor();
      await screenshot(p, "share-429");
    } finally {
      await context.close();
    }
  });

  it("no share page scrolls sideways at 360 px", () => {
    assert.deepEqual(overflows, []);
  });

  it("views in the browser reach the settings list", async () => {
    const deadline = Date.now() + 10_000;
    let views;
    do {
      views = (await listLinks(fx.admin, DOMAIN)).find((l) => l.id === fx.links.segment.id).views;
      if (!/^0 views/.test(views)) break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < deadline);
    assert.match(views, /^[1-9]\d* views?/);
  });
});
