/**
 * Renders the dashboard with the fixture to static HTML and screenshots it in Chromium, at desktop
 * and phone widths, light and dark: `npx tsx scripts/preview-dashboard.tsx [--no-shots]`.
 * Writes dashboard-preview*.html and dash-*.png to the system temp directory. (The page's one inline <style> only
 * resets the body margin the app's own stylesheet would; the preview is not served under the CSP.)
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path, { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { dashboardFixture, emptyDashboardFixture } from "../test/fixtures/dashboard.js";
import { renderDashboardMarkup } from "../test/support/render-dashboard.js";
import type { DashboardProps } from "../app/components/dashboard/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const css = path.join(root, "app/styles/dashboard.css");

const segment = {
  name: "Mobile visitors",
  filters: [{ dimension: "device" as const, operator: "is" as const, values: ["Mobile"] }],
};

const pages: Array<{ name: string; props: DashboardProps }> = [
  {
    name: "member",
    props: { stats: dashboardFixture, basePath: "/sites/demo.glimpse.local", search: "?period=30d", mode: "member" },
  },
  {
    name: "share",
    props: {
      stats: dashboardFixture,
      basePath: "/share/V1StGXR8_Z5jdHi6B-myT",
      search: "?period=custom&from=2026-10-28&to=2026-11-26&f=country,is,DE&f=page,contains,/blog&f=planet,is,Mars",
      segment,
      mode: "share",
    },
  },
  {
    name: "empty",
    props: { stats: emptyDashboardFixture, basePath: "/share/x", search: "?period=30d&f=source,is,Bing", mode: "share", embed: true, segment },
  },
];

async function page(props: DashboardProps, theme: string): Promise<string> {
  const search = `${props.search}&theme=${theme}`;
  const markup = await renderDashboardMarkup({ ...props, search });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${props.stats.site.domain} · preview</title>
<link rel="stylesheet" href="file://${css}">
<style>body { margin: 0; }</style></head><body>${markup}</body></html>`;
}

const files: Array<{ name: string; theme: string; file: string }> = [];
for (const { name, props } of pages) {
  for (const theme of ["light", "dark"]) {
    const file = name === "member" && theme === "light" ? join(tmpdir(), "dashboard-preview.html") : join(tmpdir(), `dashboard-preview-${name}-${theme}.html`);
    await writeFile(file, await page(props, theme));
    files.push({ name, theme, file });
  }
}
console.log(`Wrote ${files.map((f) => f.file).join(", ")}`);

if (!process.argv.includes("--no-shots")) {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  try {
    for (const { name, theme, file } of files) {
      for (const width of [1280, 360]) {
        const tab = await browser.newPage({ viewport: { width, height: 900 } });
        await tab.goto(`file://${file}`);
        const overflow = await tab.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 0) console.warn(`${name} ${theme} ${width}px: page is ${overflow}px wider than the viewport`);
        const shot = join(tmpdir(), `dash-${name}-${theme}-${width}.png`);
        await tab.screenshot({ path: shot, fullPage: true });
        console.log(`Screenshot ${shot}`);
        await tab.close();
      }
    }
  } finally {
    await browser.close();
  }
}
