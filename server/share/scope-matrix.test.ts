import { TRPCError } from "@trpc/server";
import { getErrorShape } from "@trpc/server/unstable-core-do-not-import";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { Forbidden, Gone, NotFound } from "../errors.js";
import { appRouter, createCaller } from "../root.js";
import { DIMENSIONS, type Dimension, type Filter } from "../schemas/filters.js";
import { type DateBounds, SECTIONS, type Section } from "../schemas/link-scope.js";
import type { Period } from "../schemas/stats.js";
import { addDays } from "../dates.js";
import { expectCode, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import type { Unlocks } from "./access.js";
import { formatDay, formatRange } from "../schemas/display.js";
import { flushEvents, testContext } from "../../test/support/services.js";

/**
 * SPEC §3a as a matrix: every share procedure against every restriction a link can carry. Each
 * cell checks the status, and for the cells that answer, that no figure, value or label from
 * outside the link's scope is in the answer and that every figure equals what we count ourselves
 * from the events this file ingests.
 *
 * The visitor's clock is ten days ahead of the real one: a link can only be given an expiry that
 * is still ahead (by the real clock), and it has passed by the visitor's.
 */

const DAY_MS = 86_400_000;
const REAL_NOW = Date.now();
const NOW = new Date(Math.floor(REAL_NOW / DAY_MS) * DAY_MS + 10 * DAY_MS + 12 * 3_600_000);
const TODAY = NOW.toISOString().slice(0, 10);
const ago = (days: number) => addDays(TODAY, -days);

const PASSWORD = "Scope matrix password 1";
const EXPIRED = "This shared link has expired";
const PAUSED = "This shared link is paused";
const GOAL_NAME = "Matrix goal";
const GOAL_PATH = "/in-fixed-page";
const FIXED = { kind: "fixed", from: ago(20), to: ago(14) } satisfies DateBounds;
const SINCE = { kind: "since", from: ago(10) } satisfies DateBounds;
/** What every matrix cell asks for: wider than any bound, so every bound has something to cut. */
const REQUEST: Period = { key: "12mo" };

const CLIENTS = {
  iphone: {
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    device: "Mobile",
    browser: "Safari",
    os: "iOS",
  },
  ipad: {
    ua: "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    device: "Tablet",
    browser: "Safari",
    os: "iOS",
  },
  windows: {
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    device: "Desktop",
    browser: "Chrome",
    os: "Windows",
  },
  linux: {
    ua: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    device: "Desktop",
    browser: "Firefox",
    os: "Linux",
  },
} as const;

interface Acquisition {
  source?: string;
  referrer?: string;
  utm_source?: string;
  utm_medium?: string;
  utm_campaign?: string;
}

/** One visitor, one visit: its pages in order, and what every dimension should say about it. */
interface Visit {
  key: string;
  at: Date;
  day: string;
  ua: string;
  country: string;
  pages: string[];
  sentReferrer: string | null;
  query: string;
  dims: Record<Dimension, string>;
  /** Had an event within "current visitors" reach of NOW. */
  live: boolean;
}

function visit(
  key: string,
  spec: { daysAgo: number; at?: Date; client: keyof typeof CLIENTS; country: string; pages: string[]; sentReferrer?: string; query?: string; acq?: Acquisition },
): Visit {
  const client = CLIENTS[spec.client];
  const at = spec.at ?? new Date(Date.parse(`${ago(spec.daysAgo)}T12:00:00Z`));
  const acq = spec.acq ?? {};
  return {
    key,
    at,
    day: at.toISOString().slice(0, 10),
    ua: client.ua,
    country: spec.country,
    pages: spec.pages,
    sentReferrer: spec.sentReferrer ?? null,
    query: spec.query ?? "",
    live: NOW.getTime() - at.getTime() < 5 * 60_000,
    dims: {
      page: spec.pages[0]!,
      entry_page: spec.pages[0]!,
      source: acq.source ?? "",
      referrer: acq.referrer ?? "",
      utm_source: acq.utm_source ?? "",
      utm_medium: acq.utm_medium ?? "",
      utm_campaign: acq.utm_campaign ?? "",
      country: spec.country,
      device: client.device,
      browser: client.browser,
      os: client.os,
    },
  };
}

const VISITS: Visit[] = [
  visit("ancient", { daysAgo: 40, client: "iphone", country: "SE", pages: ["/ancient-page"], query: "?utm_campaign=ancient-campaign", acq: { utm_campaign: "ancient-campaign" } }),
  visit("old-in-30d", { daysAgo: 25, client: "iphone", country: "CZ", pages: ["/old-in-30d-page"] }),
  visit("before-fixed", { daysAgo: 21, client: "iphone", country: "PT", pages: ["/before-fixed-start-page"] }),
  visit("fixed-first-day", { daysAgo: 20, client: "iphone", country: "DE", pages: ["/fixed-first-day-page"] }),
  visit("fixed-mobile-a", {
    daysAgo: 17,
    client: "iphone",
    country: "DE",
    pages: [GOAL_PATH, "/in-fixed-deep-page"],
    sentReferrer: "https://bsky.app/profile/matrix-ref",
    acq: { source: "Bluesky", referrer: "bsky.app/profile/matrix-ref" },
  }),
  visit("fixed-desktop", {
    daysAgo: 16,
    client: "windows",
    country: "FR",
    pages: ["/desktop-only-page"],
    sentReferrer: "https://desktop-referrer.example/from",
    acq: { source: "desktop-referrer.example", referrer: "desktop-referrer.example/from" },
  }),
  visit("fixed-mobile-b", {
    daysAgo: 15,
    client: "iphone",
    country: "AT",
    pages: [GOAL_PATH],
    query: "?utm_source=fb&utm_medium=matrix-medium&utm_campaign=matrix-campaign",
    acq: { source: "Facebook", utm_source: "fb", utm_medium: "matrix-medium", utm_campaign: "matrix-campaign" },
  }),
  visit("fixed-tablet", { daysAgo: 14, client: "ipad", country: "IT", pages: ["/tablet-only-page"] }),
  visit("after-fixed-end", { daysAgo: 13, client: "iphone", country: "BE", pages: ["/after-fixed-end-page"] }),
  visit("before-since", { daysAgo: 11, client: "iphone", country: "PL", pages: ["/before-since-page"] }),
  visit("since-first-day", { daysAgo: 10, client: "iphone", country: "DK", pages: ["/since-first-day-page"] }),
  visit("recent-desktop", { daysAgo: 5, client: "linux", country: "NL", pages: ["/recent-desktop-page"] }),
  visit("recent-mobile", { daysAgo: 5, client: "iphone", country: "ES", pages: ["/recent-mobile-page", GOAL_PATH] }),
  visit("live-now", { daysAgo: 0, at: new Date(NOW.getTime() - 60_000), client: "iphone", country: "JP", pages: ["/live-now-page"] }),
];

/** Every value a visit shows under any dimension (its pages included). */
const valuesOf = (v: Visit) => new Set([...v.pages, ...Object.values(v.dims)].filter((s) => s !== ""));

/** The values of `dimension` that no other dimension of any visit shows: what hiding it must hide. */
function uniqueTo(dimension: Dimension): string[] {
  const own = new Set(VISITS.flatMap((v) => (dimension === "page" ? v.pages : [v.dims[dimension]])).filter((s) => s !== ""));
  const elsewhere = new Set(
    VISITS.flatMap((v) => [...(dimension === "page" ? [] : v.pages), ...DIMENSIONS.filter((d) => d !== dimension && d !== "page").map((d) => v.dims[d])]),
  );
  return [...own].filter((value) => !elsewhere.has(value) && value !== GOAL_PATH);
}

// ---------------------------------------------------------------------------------------------
// What a view should show, counted from VISITS.

interface Expected {
  range: { from: string; to: string; key?: Period["key"] } | null;
  keep: (v: Visit) => boolean;
  sections: readonly Section[];
  /** Current visitors may be shown (the bounds include today). */
  live: boolean;
  /** Previous-period totals must not be there (their period would reach outside the bounds). */
  noPrevious: boolean;
}

const inView = (exp: Expected) => (v: Visit) => exp.keep(v) && (!exp.range || (v.day >= exp.range.from && v.day <= exp.range.to));

function breakdownOf(visits: Visit[], dimension: Dimension): Record<string, [number, number]> {
  const rows: Record<string, [number, number]> = {};
  for (const v of visits) {
    if (dimension === "page") {
      for (const page of new Set(v.pages)) {
        const row = (rows[page] ??= [0, 0]);
        row[0] += 1;
        row[1] += v.pages.filter((p) => p === page).length;
      }
    } else {
      const row = (rows[v.dims[dimension]] ??= [0, 0]);
      row[0] += 1;
      row[1] += 1;
    }
  }
  return rows;
}

function expectedFigures(exp: Expected) {
  const shown = VISITS.filter(inView(exp));
  const hidden = VISITS.filter((v) => !inView(exp)(v));
  const allowed = new Set(shown.flatMap((v) => [...valuesOf(v)]));
  const forbidden = new Set(hidden.flatMap((v) => [...valuesOf(v)]).filter((value) => !allowed.has(value) && value !== GOAL_PATH));
  for (const d of DIMENSIONS) if (!exp.sections.includes(d)) for (const value of uniqueTo(d)) forbidden.add(value);
  const converting = shown.filter((v) => v.pages.includes(GOAL_PATH));
  return {
    visitors: shown.length,
    visits: shown.length,
    pageviews: shown.reduce((sum, v) => sum + v.pages.length, 0),
    // "Now" is not part of the period asked for, only of the link's scope.
    current: VISITS.filter((v) => exp.keep(v) && v.live).length,
    goal: { visitors: converting.length, conversions: converting.reduce((sum, v) => sum + v.pages.filter((p) => p === GOAL_PATH).length, 0) },
    breakdown: (d: Dimension) => breakdownOf(shown, d),
    forbidden: [...forbidden],
  };
}

/** Nothing from outside the scope, as a whole JSON value, anywhere in the answer. */
function expectNothingOutside(response: unknown, forbidden: string[], where: string) {
  const json = JSON.stringify(response);
  const leaked = forbidden.filter((value) => json.includes(JSON.stringify(value)));
  expect(leaked, `${where} shows values outside the link's scope`).toEqual([]);
}

const rowsMap = (rows: { value: string; visitors: number; count: number }[]) => Object.fromEntries(rows.map((r) => [r.value, [r.visitors, r.count]]));

const EXPORT_NAMES: Record<Section | "totals" | "goals", string> = {
  totals: "totals",
  goals: "goals",
  series: "visitors-over-time",
  page: "pages",
  entry_page: "entry-pages",
  source: "sources",
  referrer: "referrers",
  utm_source: "utm-sources",
  utm_medium: "utm-mediums",
  utm_campaign: "utm-campaigns",
  country: "countries",
  device: "devices",
  browser: "browsers",
  os: "operating-systems",
};
const EXPORT_PARTS = [undefined, "totals", "goals", ...SECTIONS] as const;
type ExportPart = (typeof EXPORT_PARTS)[number];

// ---------------------------------------------------------------------------------------------
// The world: one site, the visits above, a Mobile segment and a page goal.

let db: Db;
let owner: Awaited<ReturnType<typeof signedIn>>;
let domain: string;
let mobileSegmentId: string;
let ipCounter = 0;

/** Each call its own address, so per-client view limits never get in the way of the matrix. */
function visitor(unlocks: Unlocks = {}, now = NOW) {
  ipCounter += 1;
  const ip = `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
  return createCaller(testContext({ db, ip, unlocks, now }));
}

async function ingest(v: Visit, index: number) {
  const ip = `198.18.${index}.7`;
  for (const [i, page] of v.pages.entries()) {
    const now = new Date(v.at.getTime() + i * 30_000);
    const caller = createCaller(testContext({ db, ip, userAgent: v.ua, country: v.country, now }));
    const url = `https://${domain}${page}${i === 0 ? v.query : ""}`;
    const referrer = i === 0 ? v.sentReferrer : `https://${domain}${v.pages[i - 1]}`;
    const result = await caller.events.ingest({ name: "pageview", url, domain, referrer });
    expect(result).toMatchObject({ accepted: true });
    await flushEvents(db);
  }
}

type LinkInput = Parameters<typeof owner.caller.sharedLinks.create>[0];
let linkCounter = 0;
async function createLink(extra: Omit<LinkInput, "site" | "name">) {
  return owner.caller.sharedLinks.create({ site: domain, name: `Matrix link ${++linkCounter}`, ...extra });
}

async function unlockAt(slug: string, now = NOW): Promise<Unlocks> {
  const result = await visitor({}, now).share.unlock({ slug, password: PASSWORD });
  return { [slug]: { f: result.fingerprint, e: Math.floor(Date.parse(result.expiresAt) / 1000) } };
}

// ---------------------------------------------------------------------------------------------
// The matrix: which cells ran.

const ENDPOINTS = [
  "share.resolve",
  "share.unlock",
  "share.stats",
  "share.revisit",
  ...DIMENSIONS.map((d) => `share.breakdown:${d}`),
  ...EXPORT_PARTS.map((p) => `share.export:${p ?? "all"}`),
];
const cells = new Set<string>();
let calls = 0;
function cell(endpoint: string, restriction: string) {
  if (!ENDPOINTS.includes(endpoint)) throw new Error(`unknown endpoint ${endpoint}`);
  cells.add(`${endpoint}|${restriction}`);
  calls += 1;
}
const exportEndpoint = (part: ExportPart) => `share.export:${part ?? "all"}`;

interface Restriction {
  name: string;
  link: Omit<LinkInput, "site" | "name">;
  expected: Expected;
  /** A link that shows nothing: every procedure refuses. */
  state?: "expired" | "paused" | "deleted";
}

const everything = (v: Visit) => Boolean(v);
const isMobile = (v: Visit) => v.dims.device === "Mobile";
const allSections = [...SECTIONS];
const open: Expected = { range: null, keep: everything, sections: allSections, live: true, noPrevious: false };

const RESTRICTIONS: Restriction[] = [
  { name: "segment: device is Mobile", link: { allowExport: true }, expected: { ...open, keep: isMobile } },
  {
    name: "fixed period",
    link: { dateBounds: FIXED, allowExport: true },
    expected: { ...open, range: { from: FIXED.from, to: FIXED.to, key: "custom" }, live: false, noPrevious: true },
  },
  { name: "since date", link: { dateBounds: SINCE, allowExport: true }, expected: { ...open, range: { from: SINCE.from, to: TODAY, key: "custom" }, noPrevious: true } },
  ...SECTIONS.map(
    (hidden): Restriction => ({
      name: `hidden section: ${hidden}`,
      link: { visibleSections: SECTIONS.filter((s) => s !== hidden), allowExport: true },
      expected: { ...open, sections: SECTIONS.filter((s) => s !== hidden) },
    }),
  ),
  { name: "filters off", link: { allowFilters: false, allowExport: true }, expected: open },
  { name: "period change off", link: { allowPeriodChange: false, allowExport: true }, expected: { ...open, range: { from: ago(29), to: TODAY, key: "30d" } } },
  { name: "export off", link: { allowExport: false }, expected: open },
  { name: "expired", link: { password: PASSWORD, expiresAt: new Date(REAL_NOW + DAY_MS).toISOString(), allowExport: true }, expected: open, state: "expired" },
  { name: "paused", link: { password: PASSWORD, allowExport: true }, expected: open, state: "paused" },
  { name: "deleted", link: { allowExport: true }, expected: open, state: "deleted" },
];

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "matrix-owner");
  domain = (await siteOwnedBy(db, owner.user.id, "matrix.example")).domain;
  const inOrder = [...VISITS].sort((a, b) => a.at.getTime() - b.at.getTime());
  for (const [i, v] of inOrder.entries()) await ingest(v, i);
  const segment = await owner.caller.segments.create({ site: domain, name: "Mobile visitors", filters: [{ dimension: "device", operator: "is", values: ["Mobile"] }] });
  mobileSegmentId = segment.id;
  // The segment exists only now; the first restriction is the one that names it.
  RESTRICTIONS[0]!.link.segmentId = mobileSegmentId;
  await owner.caller.goals.create({ site: domain, kind: "page", pagePath: GOAL_PATH, name: GOAL_NAME });
});

afterAll(() => {
  const restrictions = new Set([...cells].map((c) => c.split("|")[1]));
  const endpoints = new Set([...cells].map((c) => c.split("|")[0]));
  console.log(`scope matrix: ${endpoints.size} endpoints × ${restrictions.size} restrictions = ${cells.size} cells exercised (${calls} calls)`);
});

/** The answer of every share call on a live link: its JSON, checked against what we counted. */
function checkStats(stats: Awaited<ReturnType<ReturnType<typeof visitor>["share"]["stats"]>>, exp: Expected, where: string, asked: Filter[] = []) {
  const want = expectedFigures(exp);
  // What the request itself named is echoed back in `filters`; it is not data.
  const echoed = new Set(asked.flatMap((f) => f.values));
  want.forbidden = want.forbidden.filter((value) => !echoed.has(value));
  if (exp.range) expect(stats.range, where).toMatchObject(exp.range);
  else expect(stats.range, where).toMatchObject({ key: REQUEST.key, to: TODAY });
  expect({ visitors: stats.totals.visitors, visits: stats.totals.visits, pageviews: stats.totals.pageviews }, where).toEqual({
    visitors: want.visitors,
    visits: want.visits,
    pageviews: want.pageviews,
  });
  expect(stats.currentVisitors, where).toBe(exp.live ? want.current : null);
  if (exp.noPrevious) expect(stats.previous, where).toBeNull();
  if (exp.sections.includes("series")) {
    expect(stats.series, where).not.toBeNull();
    expect(stats.series!.reduce((sum, p) => sum + p.pageviews, 0), where).toBe(want.pageviews);
    expect(stats.series!.reduce((sum, p) => sum + p.visitors, 0), where).toBe(want.visitors);
    if (exp.range) {
      const { from, to } = exp.range;
      for (const { bucket } of stats.series!) {
        const n = Math.min(bucket.length, 10);
        expect(bucket.slice(0, n) >= from.slice(0, n) && bucket.slice(0, n) <= to.slice(0, n), `${where}: bucket ${bucket}`).toBe(true);
      }
    }
  } else {
    expect(stats.series, where).toBeNull();
  }
  expect(stats.breakdowns.map((b) => b.dimension), where).toEqual(DIMENSIONS.filter((d) => exp.sections.includes(d)));
  for (const b of stats.breakdowns) {
    const all = want.breakdown(b.dimension);
    expect(b.rows.length, `${where} ${b.dimension}`).toBe(Math.min(Object.keys(all).length, 9));
    for (const row of b.rows) expect([row.visitors, row.count], `${where} ${b.dimension} ${row.value}`).toEqual(all[row.value]);
  }
  expect(stats.goals.map((g) => ({ name: g.name, visitors: g.visitors, conversions: g.conversions })), where).toEqual([{ name: GOAL_NAME, ...want.goal }]);
  expectNothingOutside(stats, want.forbidden, where);
}

async function checkLive(r: Restriction) {
  const exp = r.expected;
  const link = await createLink(r.link);
  const slug = link.slug;
  const want = expectedFigures(exp);
  const sections = exp.sections;
  const allowFilters = r.link.allowFilters ?? true;
  const allowExport = r.link.allowExport ?? false;

  cell("share.resolve", r.name);
  const resolved = await visitor().share.resolve({ slug });
  expect(resolved).toMatchObject({
    locked: false,
    dateBounds: r.link.dateBounds ?? null,
    visibleSections: sections,
    allowPeriodChange: r.link.allowPeriodChange ?? true,
    allowFilters,
    allowExport,
    segment: r.link.segmentId ? { name: "Mobile visitors" } : null,
  });

  cell("share.unlock", r.name);
  expect(await visitor().share.unlock({ slug, password: "anything at all" })).toMatchObject({ slug });

  cell("share.stats", r.name);
  const stats = await visitor().share.stats({ slug, period: REQUEST, filters: [] });
  checkStats(stats, exp, `${r.name}: stats`);
  expect(stats.scope).toMatchObject({ sections, canFilter: allowFilters, canExport: allowExport });

  cell("share.revisit", r.name);
  expect(await visitor().share.revisit({ slug, version: stats.version })).toEqual({ current: true });

  const breakdowns = new Map<Dimension, Awaited<ReturnType<ReturnType<typeof visitor>["share"]["breakdown"]>>>();
  for (const d of DIMENSIONS) {
    cell(`share.breakdown:${d}`, r.name);
    const call = visitor().share.breakdown({ slug, period: REQUEST, filters: [], dimension: d, limit: 100 });
    if (!sections.includes(d)) {
      const error = await expectCode(call, "FORBIDDEN");
      expect(error.cause).toBeInstanceOf(Forbidden);
      continue;
    }
    const b = await call;
    breakdowns.set(d, b);
    expect(rowsMap(b.rows), `${r.name}: breakdown ${d}`).toEqual(want.breakdown(d));
    expect(b.more).toBe(false);
    expectNothingOutside(b, want.forbidden, `${r.name}: breakdown ${d}`);
  }

  for (const part of EXPORT_PARTS) {
    cell(exportEndpoint(part), r.name);
    const call = visitor().share.export({ slug, period: REQUEST, filters: [], part });
    const where = `${r.name}: export ${part ?? "(all)"}`;
    if (!allowExport || (part && part !== "totals" && part !== "goals" && !sections.includes(part))) {
      const error = await expectCode(call, "FORBIDDEN");
      expect(error.cause, where).toBeInstanceOf(Forbidden);
      if (!allowExport) expect(error.message).toBe("This shared link does not allow downloads");
      continue;
    }
    const result = await call;
    expectNothingOutside(result, want.forbidden, where);
    expect(result.range, where).toEqual(stats.range);
    const names = part ? [EXPORT_NAMES[part]] : ["totals", ...SECTIONS.filter((s) => sections.includes(s)).map((s) => EXPORT_NAMES[s]), "goals"];
    expect(
      result.tables.map((t) => t.name),
      where,
    ).toEqual(names);
    for (const table of result.tables) {
      if (table.name === "totals") {
        // The export's totals are the stats of the same view, figure for figure.
        const t = stats.totals;
        expect(table.rows, where).toEqual([[stats.range.from, stats.range.to, t.visitors, t.visits, t.pageviews, t.viewsPerVisit, t.bounceRate, t.visitDuration]]);
      } else if (table.name === "goals") {
        expect(table.rows.map((row) => row.slice(0, 3)), where).toEqual([[GOAL_NAME, want.goal.visitors, want.goal.conversions]]);
      } else if (table.name === "visitors-over-time") {
        expect(table.rows, where).toEqual(stats.series!.map((p) => [p.bucket, p.visitors, p.pageviews]));
      } else {
        const d = DIMENSIONS.find((dim) => EXPORT_NAMES[dim] === table.name)!;
        expect(Object.fromEntries(table.rows.map((row) => [row[0], [row[1], row[2]]])), `${where} ${d}`).toEqual(want.breakdown(d));
        // …and each breakdown table is the breakdown of the same view, row for row.
        expect(table.rows, `${where} ${d}`).toEqual(breakdowns.get(d)!.rows.map((row) => [row.value, row.visitors, row.count, row.percentage]));
      }
    }
  }

  // Filters: a probe on a hidden dimension, or any filter where the link allows none, is refused
  // on every data path; an allowed filter only narrows.
  const visibleProbe: Filter = sections.includes("country")
    ? { dimension: "country", operator: "is", values: ["DE"] }
    : { dimension: "device", operator: "is", values: ["Mobile"] };
  const probes: Filter[] = [];
  if (!allowFilters) probes.push(visibleProbe, { dimension: "goal", operator: "is", values: [GOAL_NAME] });
  for (const d of DIMENSIONS) if (!sections.includes(d)) probes.push({ dimension: d, operator: "is_not", values: ["nothing-like-this"] });
  for (const filter of probes) {
    const filters = [filter];
    const refused = async (call: Promise<unknown>, where: string) => {
      calls += 1;
      const error = await expectCode(call, "FORBIDDEN");
      expect(error.cause, where).toBeInstanceOf(Forbidden);
    };
    await refused(visitor().share.stats({ slug, period: REQUEST, filters }), `${r.name}: stats filtered by ${filter.dimension}`);
    for (const d of DIMENSIONS) await refused(visitor().share.breakdown({ slug, period: REQUEST, filters, dimension: d }), `${r.name}: breakdown ${d} filtered by ${filter.dimension}`);
    for (const part of EXPORT_PARTS) await refused(visitor().share.export({ slug, period: REQUEST, filters, part }), `${r.name}: export filtered by ${filter.dimension}`);
  }
  if (allowFilters) {
    const narrowed = await visitor().share.stats({ slug, period: REQUEST, filters: [visibleProbe] });
    const value = visibleProbe.values[0]!;
    checkStats(narrowed, { ...exp, keep: (v) => exp.keep(v) && v.dims[visibleProbe.dimension as Dimension] === value }, `${r.name}: stats filtered by ${visibleProbe.dimension}`, [visibleProbe]);
  }
}

/** Expired, paused and deleted: the same refusal on every procedure, unlock and resolve included. */
async function checkRefused(r: Restriction) {
  const link = await createLink(r.link);
  const slug = link.slug;
  let unlocks: Unlocks = {};
  let version: string;
  if (r.state === "expired") {
    // Live by the real clock: the version of the page shown before it expired.
    const before = new Date();
    const stats = await visitor(await unlockAt(slug, before), before).share.stats({ slug, period: REQUEST, filters: [] });
    version = stats.version;
  } else {
    if (r.link.password) unlocks = await unlockAt(slug);
    const stats = await visitor(unlocks).share.stats({ slug, period: REQUEST, filters: [] });
    version = stats.version;
    if (r.state === "paused") await owner.caller.sharedLinks.update({ site: domain, id: link.id, paused: true });
    else await owner.caller.sharedLinks.delete({ site: domain, id: link.id });
  }

  const refused = async (endpoint: string, call: Promise<unknown>) => {
    cell(endpoint, r.name);
    const error = await expectCode(call, "NOT_FOUND");
    const where = `${r.name}: ${endpoint}`;
    expect(error, where).toBeInstanceOf(TRPCError);
    const shape = getErrorShape({ config: appRouter._def._config, error: error as TRPCError, type: "query", path: endpoint.split(":")[0], input: undefined, ctx: undefined });
    if (r.state === "deleted") {
      expect(error.cause, where).toBeInstanceOf(NotFound);
      expect(error.cause, where).not.toBeInstanceOf(Gone);
      expect(error.message, where).toBe("This shared link does not exist or was deleted");
      expect(shape.data.httpStatus, where).toBe(404);
    } else {
      expect(error.cause, where).toBeInstanceOf(Gone);
      expect((error.cause as Gone).reason, where).toBe(r.state);
      expect(error.message, where).toBe(r.state === "expired" ? EXPIRED : PAUSED);
      expect(shape.data.httpStatus, where).toBe(410);
    }
  };

  await refused("share.resolve", visitor(unlocks).share.resolve({ slug }));
  // The right password changes nothing: no password is even checked for a link that shows nothing.
  await refused("share.unlock", visitor(unlocks).share.unlock({ slug, password: PASSWORD }));
  await refused("share.stats", visitor(unlocks).share.stats({ slug, period: REQUEST, filters: [] }));
  await refused("share.revisit", visitor(unlocks).share.revisit({ slug, version }));
  for (const d of DIMENSIONS) await refused(`share.breakdown:${d}`, visitor(unlocks).share.breakdown({ slug, period: REQUEST, filters: [], dimension: d }));
  for (const part of EXPORT_PARTS) await refused(exportEndpoint(part), visitor(unlocks).share.export({ slug, period: REQUEST, filters: [], part }));
}

describe("the test data", () => {
  it("is what the dashboard reads back, dimension by dimension", async () => {
    const link = await createLink({});
    const stats = await visitor().share.stats({ slug: link.slug, period: REQUEST, filters: [] });
    expect(stats.totals).toMatchObject({ visitors: VISITS.length, visits: VISITS.length, pageviews: VISITS.reduce((n, v) => n + v.pages.length, 0) });
    for (const d of DIMENSIONS) {
      const b = await visitor().share.breakdown({ slug: link.slug, period: REQUEST, filters: [], dimension: d, limit: 100 });
      expect(rowsMap(b.rows), d).toEqual(breakdownOf(VISITS, d));
    }
    expect(stats.currentVisitors).toBe(1);
    // Every section has something only it shows (entry pages are always pages too).
    for (const d of DIMENSIONS) if (d !== "entry_page") expect(uniqueTo(d), d).not.toEqual([]);
  });
});

describe("scope matrix", () => {
  for (const r of RESTRICTIONS) {
    it(r.name, async () => {
      if (r.state) await checkRefused(r);
      else await checkLive(r);
    });
  }

  it("covered every endpoint under every restriction", () => {
    expect(cells.size).toBe(ENDPOINTS.length * RESTRICTIONS.length);
  });
});

describe("period clamping", () => {
  const rangeOf = async (slug: string, period: Period) => {
    const stats = await visitor().share.stats({ slug, period, filters: [] });
    const exported = await visitor().share.export({ slug, period, filters: [], part: "totals" });
    expect(exported.range).toEqual(stats.range);
    return stats;
  };
  const requests: Period[] = [
    { key: "today" },
    { key: "7d" },
    { key: "30d" },
    { key: "month" },
    { key: "12mo" },
    { key: "custom", from: ago(60), to: ago(1) },
    { key: "custom", from: ago(3), to: addDays(TODAY, 30) },
  ];

  it("starts every period wider than a since-date at that date, and never shows what lies before it", async () => {
    const link = await createLink({ dateBounds: SINCE, allowExport: true });
    for (const period of [{ key: "12mo" as const }, { key: "30d" as const }, { key: "custom" as const, from: ago(60), to: ago(2) }]) {
      const stats = await rangeOf(link.slug, period);
      expect(stats.range.from, JSON.stringify(period)).toBe(SINCE.from);
      // The page says so (the wording is the page's business).
      expect(stats.scope.notice).toEqual(expect.any(String));
      expect(stats.previous).toBeNull();
      const exp: Expected = { ...open, range: { from: SINCE.from, to: stats.range.to }, noPrevious: true };
      checkStats(stats, exp, `since ${JSON.stringify(period)}`);
    }
    // A period wholly before the date is empty, and says why (not the first day's figures instead).
    const asked = { key: "custom" as const, from: ago(30), to: ago(12) };
    const before = await rangeOf(link.slug, asked);
    expect(before.range).toMatchObject({ from: asked.from, to: asked.to });
    expect(before.scope.notice).toBe(`${formatRange(asked.from, asked.to)} ends before ${formatDay(SINCE.from)}, the earliest date this link shows, so there is nothing to show.`);
    checkStats(before, { ...open, keep: () => false, range: { from: asked.from, to: asked.to }, live: false, noPrevious: true }, "since, period before it");
    const pages = await visitor().share.breakdown({ slug: link.slug, period: asked, filters: [], dimension: "page" });
    expect(pages.rows).toEqual([]);
    // Inside the bounds nothing changes; a previous period reaching before them has no badges.
    const week = await rangeOf(link.slug, { key: "7d" });
    expect(week.range).toMatchObject({ key: "7d", from: ago(6), to: TODAY });
    expect(week.previous).toBeNull();
    expect(week.scope.notice).toBeNull();
    const today = await rangeOf(link.slug, { key: "today" });
    expect(today.previous).not.toBeNull();
  });

  it("shows nothing, not even current visitors, before a since-date that is still ahead", async () => {
    const ahead = addDays(TODAY, 5);
    const link = await createLink({ dateBounds: { kind: "since", from: ahead }, allowExport: true });
    const stats = await rangeOf(link.slug, { key: "30d" });
    expect(stats.range).toMatchObject({ key: "30d", from: ago(29), to: TODAY });
    expect(stats.scope.notice).toEqual(expect.any(String));
    checkStats(stats, { ...open, keep: () => false, range: { from: ago(29), to: TODAY }, live: false, noPrevious: true }, "since-date ahead");
  });

  it("shows exactly the fixed period, whatever is asked", async () => {
    const link = await createLink({ dateBounds: FIXED, allowExport: true });
    const fixed = FIXED;
    for (const period of requests) {
      const stats = await rangeOf(link.slug, period);
      expect(stats.range, JSON.stringify(period)).toMatchObject({ from: fixed.from, to: fixed.to });
      checkStats(stats, { ...open, range: { from: fixed.from, to: fixed.to }, live: false, noPrevious: true }, `fixed ${JSON.stringify(period)}`);
      const b = await visitor().share.breakdown({ slug: link.slug, period, filters: [], dimension: "page" });
      expect(rowsMap(b.rows)).toEqual(breakdownOf(VISITS.filter((v) => v.day >= fixed.from && v.day <= fixed.to), "page"));
    }
  });

  it("serves the default 30 days whatever is asked when the period may not change", async () => {
    const link = await createLink({ allowPeriodChange: false, allowExport: true });
    for (const period of requests) {
      const stats = await rangeOf(link.slug, period);
      expect(stats.range, JSON.stringify(period)).toMatchObject({ key: "30d", from: ago(29), to: TODAY });
      if (period.key === "30d") expect(stats.scope.notice).toBeNull();
      else expect(stats.scope.notice).toEqual(expect.any(String));
      checkStats(stats, { ...open, range: { from: ago(29), to: TODAY } }, `period off ${JSON.stringify(period)}`);
      const b = await visitor().share.breakdown({ slug: link.slug, period, filters: [], dimension: "page", limit: 100 });
      expect(rowsMap(b.rows)).toEqual(breakdownOf(VISITS.filter((v) => v.day >= ago(29)), "page"));
    }
  });
});

describe("pause", () => {
  it("does not let an unlock made before a pause open the link after it is resumed", async () => {
    const link = await createLink({ password: PASSWORD, allowExport: true });
    const slug = link.slug;
    const before = await unlockAt(slug);
    const { version } = await visitor(before).share.stats({ slug, period: REQUEST, filters: [] });

    await owner.caller.sharedLinks.update({ site: domain, id: link.id, paused: true });
    const paused = await expectCode(visitor(before).share.stats({ slug, period: REQUEST, filters: [] }), "NOT_FOUND");
    expect(paused.cause).toBeInstanceOf(Gone);
    const unlockWhilePaused = await expectCode(visitor().share.unlock({ slug, password: PASSWORD }), "NOT_FOUND");
    expect(unlockWhilePaused.message).toBe(PAUSED);

    await owner.caller.sharedLinks.update({ site: domain, id: link.id, paused: false });
    expect(await visitor(before).share.resolve({ slug })).toEqual({ locked: true });
    await expectCode(visitor(before).share.stats({ slug, period: REQUEST, filters: [] }), "UNAUTHORIZED");
    await expectCode(visitor(before).share.revisit({ slug, version }), "UNAUTHORIZED");
    await expectCode(visitor(before).share.breakdown({ slug, period: REQUEST, filters: [], dimension: "page" }), "UNAUTHORIZED");
    await expectCode(visitor(before).share.export({ slug, period: REQUEST, filters: [] }), "UNAUTHORIZED");

    // A fresh unlock after the resume works, and is lost again at the next pause.
    const after = await unlockAt(slug);
    expect((await visitor(after).share.stats({ slug, period: REQUEST, filters: [] })).totals.visitors).toBe(VISITS.length);
    await owner.caller.sharedLinks.update({ site: domain, id: link.id, paused: true });
    await owner.caller.sharedLinks.update({ site: domain, id: link.id, paused: false });
    await expectCode(visitor(after).share.stats({ slug, period: REQUEST, filters: [] }), "UNAUTHORIZED");
  });
});
