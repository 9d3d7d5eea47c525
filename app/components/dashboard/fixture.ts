import type { Dimension } from "../../../server/schemas/filters.js";
import type { Breakdown, DashboardStats, SeriesPoint } from "../../../server/stats/types.js";

/**
 * A realistic 30-day DashboardStats for previews and component tests: a weekly rhythm, long page
 * paths, direct ("") and unknown values, and "more" rows, so layout problems show up early.
 */
const VISITORS = 4812;

const rows = (dimension: Dimension, more: boolean, data: Array<[string, number]>): Breakdown => ({
  dimension,
  more,
  rows: data.map(([value, visitors]) => ({
    value,
    visitors,
    count: Math.round(visitors * (dimension === "page" || dimension === "entry_page" ? 1.9 : 1.33)),
    percentage: Math.round((visitors / VISITORS) * 1000) / 10,
  })),
});

function dailySeries(from: string, days: number): SeriesPoint[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(start + i * 86_400_000);
    const weekday = day.getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    // Deterministic wobble and a launch spike, so the chart has something to say.
    const wobble = ((i * 37) % 23) - 11;
    const visitors = Math.round((weekend ? 118 : 196) + i * 1.6 + wobble * 3 + (i === 19 ? 210 : 0));
    return { bucket: day.toISOString().slice(0, 10), visitors, pageviews: Math.round(visitors * 3.2 + wobble * 5) };
  });
}

export const dashboardFixture: DashboardStats = {
  site: { domain: "demo.glimpse.local", timezone: "Europe/Berlin" },
  range: { key: "30d", from: "2026-10-28", to: "2026-11-26", label: "Last 30 days", interval: "day" },
  filters: [],
  totals: { visitors: VISITORS, visits: 6390, pageviews: 15442, viewsPerVisit: 2.42, bounceRate: 47, visitDuration: 125 },
  previous: { visitors: 4301, visits: 5902, pageviews: 14610, viewsPerVisit: 2.48, bounceRate: 49, visitDuration: 131 },
  series: dailySeries("2026-10-28", 30),
  currentVisitors: 7,
  goals: [
    { id: "goal-signup", name: "Signup", kind: "event", match: "Signup", visitors: 212, conversions: 231, conversionRate: 4.4 },
    { id: "goal-pricing", name: "Visit /pricing", kind: "page", match: "/pricing", visitors: 1184, conversions: 2250, conversionRate: 24.6 },
    { id: "goal-demo", name: "Book a demo", kind: "event", match: "Book demo", visitors: 0, conversions: 0, conversionRate: 0 },
  ],
  goalProperties: null,
  breakdowns: [
    rows("page", true, [
      ["/", 2210],
      ["/pricing", 1184],
      ["/blog/privacy-friendly-analytics-without-cookies-a-practical-guide-for-small-teams", 902],
      ["/docs/getting-started", 655],
      ["/features", 540],
      ["/blog", 431],
      ["/docs/api/shared-links/create-a-password-protected-dashboard", 288],
      ["/about", 176],
      ["/changelog", 121],
      ["/contact", 64],
    ]),
    rows("entry_page", true, [
      ["/", 1950],
      ["/blog/privacy-friendly-analytics-without-cookies-a-practical-guide-for-small-teams", 811],
      ["/pricing", 602],
      ["/docs/getting-started", 433],
      ["/features", 250],
      ["/blog", 190],
      ["/changelog", 88],
    ]),
    rows("source", true, [
      ["Google", 1804],
      ["", 1290],
      ["Hacker News", 512],
      ["X/Twitter", 377],
      ["DuckDuckGo", 244],
      ["GitHub", 198],
      ["Newsletter", 150],
      ["LinkedIn", 96],
      ["Bing", 81],
      ["Reddit", 60],
    ]),
    rows("referrer", true, [
      ["www.google.com", 1790],
      ["", 1290],
      ["news.ycombinator.com/item?id=41234567", 509],
      ["t.co", 371],
      ["duckduckgo.com", 244],
      ["github.com/glimpse-analytics/glimpse/blob/main/README.md", 190],
    ]),
    rows("utm_source", false, [
      ["newsletter", 150],
      ["twitter", 112],
      ["linkedin", 64],
    ]),
    rows("utm_medium", false, [
      ["social", 176],
      ["email", 150],
      ["cpc", 41],
    ]),
    rows("utm_campaign", false, []),
    rows("country", true, [
      ["US", 1412],
      ["DE", 988],
      ["GB", 540],
      ["FR", 402],
      ["NL", 310],
      ["IN", 281],
      ["CA", 203],
      ["BR", 150],
      ["SE", 122],
      ["", 57],
    ]),
    rows("device", false, [
      ["Desktop", 2930],
      ["Mobile", 1702],
      ["Tablet", 180],
    ]),
    rows("browser", false, [
      ["Chrome", 2410],
      ["Safari", 1288],
      ["Firefox", 602],
      ["Edge", 330],
      ["Samsung Internet", 121],
      ["Opera", 61],
    ]),
    rows("os", false, [
      ["Windows", 1620],
      ["macOS", 1402],
      ["iOS", 1010],
      ["Android", 620],
      ["GNU/Linux", 140],
      ["", 20],
    ]),
  ],
};

/** The same site with nothing recorded in the period. */
export const emptyDashboardFixture: DashboardStats = {
  ...dashboardFixture,
  totals: { visitors: 0, visits: 0, pageviews: 0, viewsPerVisit: 0, bounceRate: 0, visitDuration: 0 },
  previous: null,
  series: dashboardFixture.series!.map((p) => ({ ...p, visitors: 0, pageviews: 0 })),
  breakdowns: dashboardFixture.breakdowns.map((b) => ({ ...b, rows: [], more: false })),
  currentVisitors: 0,
};
