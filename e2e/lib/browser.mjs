// Chromium through playwright-core, plus the helpers every browser spec uses: JavaScript on/off
// contexts, hydration, screenshots at two widths and axe-core checks.
import { join } from "node:path";
import { chromium } from "playwright-core";

export const config = {
  baseUrl: process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000",
  /** "off" | "on" ("http" for specs without a browser) */
  js: process.env.E2E_JS ?? "on",
  label: process.env.E2E_LABEL ?? "local",
  artifacts: process.env.E2E_ARTIFACTS ?? join(process.cwd(), "e2e", ".artifacts"),
  root: process.env.E2E_ROOT ?? process.cwd(),
};
export const jsOn = config.js === "on";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const WIDTHS = [1280, 360];

/** chromium.launch gives every launch a fresh temporary profile. */
export function launchBrowser() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
}

export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ baseURL: config.baseUrl, javaScriptEnabled: jsOn, viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(10_000);
  return context;
}

/** With JavaScript on, waits until React has hydrated the document, so clicks go through Remix. */
export async function ready(page) {
  if (!jsOn) return;
  await page.waitForFunction(() => Object.keys(document.body).some((k) => k.startsWith("__reactFiber")) && window.__remixRouter?.state?.initialized);
}

/** Navigates and waits for hydration; returns the document response. */
export async function visit(page, path) {
  const res = await page.goto(path);
  await ready(page);
  return res;
}

/**
 * Clicks a submit control and returns the response to the POST it causes: the document itself
 * without JavaScript, Remix's data request with it.
 */
export async function submit(page, locator) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && r.url().startsWith(config.baseUrl)),
    locator.click(),
  ]);
  if (!jsOn) await page.waitForLoadState("load");
  return response;
}

/** Status of a form POST: the document's status, or with single fetch the data request's. */
export function statusOf(response) {
  return response.status();
}

export async function waitForIdle(page) {
  if (jsOn) await page.waitForFunction(() => window.__remixRouter?.state?.navigation?.state === "idle" && window.__remixRouter?.state?.revalidation === "idle");
}

/** Pages that scrolled sideways at phone width, as "name: 399px"; a spec asserts it stays empty. */
export const overflows = [];

/**
 * Full-page PNGs at desktop and phone width: e2e/.artifacts/screens/<spec>-js-<mode>-<name>-<width>.png.
 * At phone width it also records any horizontal overflow (issue 4: works at 360 px wide).
 */
export async function screenshot(page, name) {
  const size = page.viewportSize();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth).catch(() => width);
    if (scrollWidth > width) overflows.push(`${name} at ${width} px is ${scrollWidth} px wide`);
    await page.screenshot({ path: join(config.artifacts, "screens", `${config.label}-${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(size);
}

const AXE = join(config.root, "node_modules", "axe-core", "axe.min.js");
const BLOCKING = new Set(["serious", "critical"]);

/**
 * Runs axe-core on the page's URL in a separate context with the same cookies. The app's CSP
 * would refuse the injected script, so that context bypasses CSP; in JavaScript-off runs it also
 * drops the app's own scripts, so axe sees the page exactly as a browser without JavaScript does.
 * `prepare(probe)`, if given, first puts the page in the state to check (a <details> opened, a form
 * submitted with errors). Returns the serious and critical violations (and prints every violation).
 */
export async function axeCheck(page, name, prepare) {
  const context = await page.context().browser().newContext({ baseURL: config.baseUrl, bypassCSP: true, viewport: { width: 1280, height: 800 } });
  try {
    await context.addCookies(await page.context().cookies());
    if (!jsOn) await context.route(/\/build\/.*\.js(\?.*)?$/, (route) => route.abort());
    const probe = await context.newPage();
    await probe.goto(page.url());
    if (jsOn) await probe.waitForFunction(() => Object.keys(document.body).some((k) => k.startsWith("__reactFiber")) && (!window.__remixRouter || window.__remixRouter.state?.initialized));
    if (prepare) await prepare(probe);
    await probe.addScriptTag({ path: AXE });
    const results = await probe.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    const violations = results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1, 3).join(" ").trim()}`),
    }));
    if (violations.length > 0) {
      console.log(`axe ${config.label} ${name} (${probe.url()}):`);
      for (const v of violations) console.log(`  [${v.impact}] ${v.id}: ${v.help}\n${v.nodes.map((n) => `      ${n}`).join("\n")}`);
    }
    return violations.filter((v) => BLOCKING.has(v.impact));
  } finally {
    await context.close();
  }
}

/** Text of the element right after a field's input: the inline error the form shows for it. */
export async function fieldError(page, inputId) {
  const error = page.locator(`#${inputId}-error`);
  // With JavaScript the answer to the POST arrives before React renders it: wait for the message.
  const shown = await error.waitFor({ timeout: 10_000 }).then(() => true, () => false);
  return shown ? (await error.innerText()).trim() : null;
}
