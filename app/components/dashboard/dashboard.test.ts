import { describe, expect, it } from "vitest";
import { dashboardFixture, emptyDashboardFixture } from "../../../test/fixtures/dashboard.js";
import { formatDuration, formatPercent } from "./format.js";
import { renderDashboardMarkup } from "../../../test/support/render-dashboard.js";
import { yTicks } from "./series-chart.js";

const segment = { name: "Mobile visitors", filters: [{ dimension: "device" as const, operator: "is" as const, values: ["Mobile"] }] };

const render = (search: string, extra: Partial<Parameters<typeof renderDashboardMarkup>[0]> = {}) =>
  renderDashboardMarkup({ stats: dashboardFixture, basePath: "/share/abc", search, mode: "share", ...extra });

describe("Dashboard", () => {
  it("renders without inline styles or scripts, which the CSP forbids", async () => {
    const html = await render("?period=30d&f=country,is,DE", { segment });
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/<style|<script/);
  });

  it("shows the site, the totals and an accessible chart", async () => {
    const html = await render("");
    expect(html).toContain("<h1 class=\"dash-site\">demo.glimpse.local</h1>");
    expect(html).toContain("2m 05s");
    expect(html).toMatch(/<svg[^>]*role="img"[^>]*aria-label="Visitors per day, Oct 28 – Nov 26, 2026: 4,812 unique visitors; busiest day/);
    expect(html).toContain("<summary>Show data table</summary>");
  });

  it("links each breakdown value to the same view with an is filter, keeping embed and theme", async () => {
    const html = await render("?period=7d&embed=true&theme=dark", { embed: true });
    expect(html).toContain('href="/share/abc?period=7d&amp;f=country,is,DE&amp;embed=true&amp;theme=dark"');
    expect(html).toContain(">Germany</a>");
    expect(html).toContain('href="/share/abc?period=7d&amp;embed=true&amp;theme=dark&amp;more=page"');
    expect(html).toMatch(/class="dashboard dashboard--dark dashboard--share dashboard--embed"/);
  });

  it("shows empty values as words, still as links that filter on them", async () => {
    const html = await render("");
    expect(html).toMatch(/<a class="dash-breakdown__value dash-breakdown__value--none" title="Direct \/ None"[^>]* href="\/share\/abc\?period=30d&amp;f=source,is,"/);
    expect(html).toContain(">(unknown)</a>");
  });

  it("offers a remove link for the viewer's filters and none for the segment", async () => {
    const html = await render("?period=30d&f=country,is,DE&f=page,contains,/blog", { segment });
    expect(html).toContain("Showing: <strong>Mobile visitors</strong>");
    expect(html).toMatch(/aria-label="Remove filter: Country is Germany"[^>]* href="\/share\/abc\?period=30d&amp;f=page,contains,\/blog"/);
    expect(html).not.toContain("Remove filter: Device");
  });

  it("keeps filters and options in the period forms as hidden inputs", async () => {
    const html = await render("?period=custom&from=2026-01-01&to=2026-01-31&f=os,is,iOS&embed=true");
    expect(html).toContain('<input type="hidden" name="f" value="os,is,iOS"/><input type="hidden" name="embed" value="true"/>');
    expect(html).toContain('<input type="hidden" name="from" value="2026-01-01"/>');
    expect(html).toMatch(/<option value="custom" selected="">Custom range<\/option>/);
  });

  it("says why part of the URL was ignored", async () => {
    expect(await render("?f=planet,is,Mars")).toContain("Filter “planet,is,Mars” ignored: Choose a dimension from the list.");
  });

  it("shows an empty state when nothing was recorded", async () => {
    const html = await render("", { stats: emptyDashboardFixture });
    expect(html).toContain("No visitors in this period yet");
    expect(html).not.toContain("dash-chart");
  });

  it("is not empty when imported custom events are all a period has", async () => {
    const goals = emptyDashboardFixture.goals.map((g) => (g.kind === "event" && g.name === "Signup" ? { ...g, visitors: 12, conversions: 15 } : g));
    const imported = { days: 6, leftOut: false };
    const html = await render("", { stats: { ...emptyDashboardFixture, goals, imported } });
    expect(html).not.toContain("No visitors in this period yet");
    expect(html).toContain("Signup");
    expect(html).toContain("The import has no totals for this period");
  });

  it("gives imported breakdowns without imported totals no share (there is no total to take it of)", async () => {
    const breakdowns = emptyDashboardFixture.breakdowns.map((b) => (b.dimension === "page" ? { ...b, rows: [{ value: "/pricing", visitors: 32, count: 40, percentage: 0 }] } : b));
    const html = await render("", { stats: { ...emptyDashboardFixture, breakdowns, imported: { days: 6, leftOut: false } } });
    expect(html).toContain("/pricing");
    expect(html).toMatch(/title="32">32<\/td><td class="dash-num dash-muted"><span title="The period has no total to take a share of">–<\/span>/);
  });
});

describe("formatting", () => {
  it.each([
    [0, "0s"],
    [59, "59s"],
    [125, "2m 05s"],
    [3725, "1h 02m"],
  ])("formats %i seconds as %s", (s, text) => expect(formatDuration(s)).toBe(text));

  it("prints shares with one decimal", () => {
    expect([formatPercent(9), formatPercent(45.94), formatPercent(100)]).toEqual(["9.0%", "45.9%", "100%"]);
  });

  it("picks round gridlines", () => {
    expect(yTicks(441)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(yTicks(7)).toEqual([0, 2, 4, 6, 8]);
  });
});
