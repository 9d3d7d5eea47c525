import type { Insertable } from "kysely";
import { jsonb } from "../../db/json.js";
import type { EventsTable, VisitsTable } from "../../db/schema.js";
import { addDays, localDay, zonedTime } from "../dates.js";

/** mulberry32: a tiny seeded PRNG, so the same `now` always yields the same demo data. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(weighted: readonly (readonly [T, number])[]): T => {
    const total = weighted.reduce((sum, [, w]) => sum + w, 0);
    let r = next() * total;
    for (const [value, w] of weighted) if ((r -= w) < 0) return value;
    return weighted[weighted.length - 1]![0];
  };
  const id = () => Math.floor(next() * 2 ** 26) * 2 ** 26 + Math.floor(next() * 2 ** 26) + 1;
  return { next, pick, id, int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)) };
}
type Rng = ReturnType<typeof prng>;

const BLOG = ["privacy-first-analytics", "cookie-banners-are-optional", "sharing-dashboards-with-clients", "self-hosting-on-a-vps",
  "what-is-a-bounce", "utm-tags-done-right", "postgres-for-analytics", "remix-and-trpc", "why-we-left-google-analytics",
  "counting-unique-visitors", "launch-week-recap", "core-web-vitals-basics", "gdpr-in-plain-words", "segments-explained", "ab-testing-without-cookies"];
const DOCS = ["getting-started", "install-the-script", "shared-links", "segments", "api", "self-hosting", "custom-events", "faq"];
const PAGES: [string, number][] = [
  ["/", 30], ["/pricing", 12], ["/features", 10], ["/blog", 9], ["/docs", 8], ["/about", 3], ["/contact", 2],
  ["/signup", 5], ["/login", 4], ["/changelog", 3],
  ...BLOG.map((slug, i): [string, number] => [`/blog/${slug}`, 6 / (1 + i * 0.3)]),
  ...DOCS.map((slug, i): [string, number] => [`/docs/${slug}`, 5 / (1 + i * 0.4)]),
];

interface Source { source: string; referrer: string; utm: [string, string, string]; landing: string[] }
const none: [string, string, string] = ["", "", ""];
const SOURCES: [Source, number][] = [
  [{ source: "Google", referrer: "google.com", utm: none, landing: ["/", ...BLOG.map((s) => `/blog/${s}`), "/docs/getting-started"] }, 34],
  [{ source: "", referrer: "", utm: none, landing: ["/", "/", "/login", "/pricing"] }, 24],
  [{ source: "X/Twitter", referrer: "t.co", utm: none, landing: ["/blog/launch-week-recap", "/", "/blog/sharing-dashboards-with-clients"] }, 8],
  [{ source: "Hacker News", referrer: "news.ycombinator.com/item", utm: none, landing: ["/blog/why-we-left-google-analytics", "/"] }, 5],
  [{ source: "newsletter", referrer: "", utm: ["newsletter", "email", "weekly-digest"], landing: ["/blog/utm-tags-done-right", "/changelog"] }, 6],
  [{ source: "newsletter", referrer: "", utm: ["newsletter", "email", "spring-launch"], landing: ["/pricing", "/features"] }, 2],
  [{ source: "DuckDuckGo", referrer: "duckduckgo.com", utm: none, landing: ["/", "/blog/privacy-first-analytics"] }, 4],
  [{ source: "Bing", referrer: "bing.com", utm: none, landing: ["/", "/pricing"] }, 3],
  [{ source: "GitHub", referrer: "github.com/glimpse-analytics/glimpse", utm: none, landing: ["/docs/self-hosting", "/"] }, 4],
  [{ source: "Reddit", referrer: "reddit.com/r/webdev", utm: none, landing: ["/blog/cookie-banners-are-optional"] }, 3],
  [{ source: "LinkedIn", referrer: "linkedin.com", utm: ["linkedin", "social", "spring-launch"], landing: ["/features"] }, 2],
  [{ source: "Product Hunt", referrer: "producthunt.com", utm: ["producthunt", "referral", "launch-day"], landing: ["/"] }, 1],
];
const COUNTRIES: [string, number][] = [["US", 25], ["DE", 20], ["GB", 9], ["FR", 7], ["IN", 6], ["NL", 5], ["CA", 4], ["BR", 4],
  ["SE", 3], ["ES", 3], ["PL", 3], ["AU", 3], ["IT", 3], ["JP", 3], ["CH", 2], ["", 1]];
const CLIENTS: [[string, string, string], number][] = [
  [["Desktop", "Chrome", "Windows"], 20], [["Desktop", "Chrome", "macOS"], 10], [["Desktop", "Safari", "macOS"], 8],
  [["Desktop", "Firefox", "Windows"], 5], [["Desktop", "Firefox", "Linux"], 3], [["Desktop", "Edge", "Windows"], 6],
  [["Desktop", "Chrome", "Chrome OS"], 1], [["Mobile", "Safari", "iOS"], 19], [["Mobile", "Chrome", "Android"], 17],
  [["Mobile", "Samsung Internet", "Android"], 4], [["Tablet", "Safari", "iOS"], 5], [["Tablet", "Chrome", "Android"], 2],
];
/** Visits by site-local hour: quiet nights, a morning rise, a long afternoon. */
const HOURS = [2, 1, 1, 1, 1, 2, 4, 7, 10, 12, 13, 13, 12, 12, 13, 13, 12, 11, 10, 9, 8, 7, 5, 3].map((w, h) => [h, w] as const);
const WEEKDAY = [0.55, 1.05, 1.1, 1.08, 1.02, 0.9, 0.6]; // Sunday first
const PLANS: [string, number][] = [["free", 60], ["pro", 30], ["team", 10]];

export interface Traffic {
  visits: Insertable<VisitsTable>[];
  events: Insertable<EventsTable>[];
}

/** About 60k events over `days` days ending at `now`, growing and with a weekly rhythm. */
export function generateTraffic(siteId: string, timezone: string, now: Date, days = 91, seed = 2026): Traffic {
  const rng = prng(seed);
  const today = localDay(now, timezone);
  const traffic: Traffic = { visits: [], events: [] };
  for (let i = days - 1; i >= 0; i--) {
    const day = addDays(today, -i);
    const progress = (days - 1 - i) / (days - 1);
    const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
    const spike = i === 40 ? 3 : 1; // the day a post reached the Hacker News front page
    const count = Math.round(285 * (0.75 + 0.75 * progress) * WEEKDAY[weekday]! * (0.88 + rng.next() * 0.24) * spike);
    let returning: number | null = null;
    for (let n = 0; n < count; n++) {
      // About one visit in eight is a second visit of an earlier visitor of the same day.
      const visitor: number = returning !== null && rng.next() < 0.12 ? returning : rng.id();
      returning = visitor;
      const source = spike > 1 && rng.next() < 0.6 ? SOURCES[3]![0] : rng.pick(SOURCES);
      addVisit(rng, traffic, { siteId, timezone, day, visitor, source, now });
    }
  }
  // A few people on the site right now, so "current visitors" has something to show.
  for (let k = 0; k < 4; k++) {
    const start = new Date(now.getTime() - (20 + k * 55) * 1000);
    if (localDay(start, timezone) !== today) continue;
    addVisit(rng, traffic, { siteId, timezone, day: today, visitor: rng.id(), source: rng.pick(SOURCES), now, start });
  }
  return traffic;
}

type VisitSpec = { siteId: string; timezone: string; day: string; visitor: number; source: Source; now: Date; start?: Date };

function addVisit(rng: Rng, traffic: Traffic, v: VisitSpec) {
  const bounce = v.start !== undefined || rng.next() < 0.42;
  const pages = bounce ? 1 : 2 + Math.min(Math.floor(-Math.log(1 - rng.next()) * 1.6), 10);
  const gaps = Array.from({ length: pages - 1 }, () => rng.int(8, 240));
  const span = gaps.reduce((a, b) => a + b, 0);
  const hour = rng.pick(HOURS);
  // Stay an hour clear of midnight so a visit never crosses days, daylight saving included.
  const startSecond = Math.min(hour * 3600 + rng.int(0, 3599), 86_400 - 3600 - span);
  const start = v.start ?? zonedTime(v.day, v.timezone, startSecond);
  if (start.getTime() + span * 1000 > v.now.getTime() || localDay(start, v.timezone) !== v.day) return;

  const [device, browser, os] = rng.pick(CLIENTS);
  const country = rng.pick(COUNTRIES);
  const entry = v.source.landing[rng.int(0, v.source.landing.length - 1)]!;
  const paths = [entry, ...gaps.map(() => rng.pick(PAGES))];
  const [utm_source, utm_medium, utm_campaign] = v.source.utm;
  const session = rng.id();
  const dims = { referrer_source: v.source.source, referrer: v.source.referrer, utm_source, utm_medium, utm_campaign, country, device, browser, os };
  let at = start.getTime();
  paths.forEach((pathname, i) => {
    if (i > 0) at += gaps[i - 1]! * 1000;
    traffic.events.push({ site_id: v.siteId, ts: new Date(at), day: v.day, name: "pageview", pathname, visitor_id: v.visitor, session_id: session, entry_page: entry, ...dims });
  });
  const signup = paths.includes("/signup") && rng.next() < 0.5;
  if (signup) {
    const props = { plan: rng.pick(PLANS), ...(rng.next() < 0.3 && { referral: "friend" }) };
    traffic.events.push({
      site_id: v.siteId, ts: new Date(at), day: v.day, name: "Signup", pathname: "/signup", visitor_id: v.visitor, session_id: session, entry_page: entry,
      ...dims, props: jsonb(props),
    });
  }
  traffic.visits.push({
    site_id: v.siteId, session_id: session, visitor_id: v.visitor, day: v.day, started_at: start, ended_at: new Date(at),
    pageviews: pages, events: pages + (signup ? 1 : 0), entry_page: entry, exit_page: paths[paths.length - 1]!, ...dims,
  });
}
