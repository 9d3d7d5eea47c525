import fc from "fast-check";
import { SECTIONS } from "../../server/schemas/link-scope.js";
import { DIMENSIONS, FILTER_DIMENSIONS, OPERATORS } from "../../server/schemas/filters.js";
import { PERIODS } from "../../server/schemas/stats.js";
import { EXTRA_KEYS, nastyNumber, nastyString, poison, PRINTABLE, setOwn, wild } from "./inputs.js";

/* Pieces of valid inputs, each with its edge values: what almostValid swaps in for one field. */

export const uuid = fc.uuid();
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";
export const idEdge = fc.oneof(nastyString, fc.constantFrom(NIL_UUID, "ffffffff-ffff-ffff-ffff-ffffffffffff", "not-a-uuid", `${NIL_UUID}'--`), uuid.map((u) => u.toUpperCase()));

export const name = fc.oneof(
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }),
  fc.constantFrom("Client A", "  Padded name  ", "WordPress - Shared Dashboard", "wordpress - shared dashboard ", "a".repeat(100), "🎉".repeat(100), ...PRINTABLE),
);

export const password = fc.oneof(fc.string({ unit: "binary", minLength: 12, maxLength: 40 }), fc.constantFrom("correct horse battery staple", "            ", "🎉".repeat(12), "a".repeat(256)));
export const passwordEdge = fc.oneof(nastyString, fc.constantFrom("short", "a".repeat(11), "a".repeat(257), "🎉".repeat(257)));

const value = fc.oneof(fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }), fc.constantFrom("Mobile", "/", "/pricing", "Google", "%", "_", "\\", ...PRINTABLE));
export const filter = fc.record({
  dimension: fc.constantFrom(...FILTER_DIMENSIONS),
  operator: fc.constantFrom(...OPERATORS),
  values: fc.array(value, { minLength: 1, maxLength: 5 }),
});
export const filters = (min: number, max: number) => fc.array(filter, { minLength: min, maxLength: max });

const manyFilters = Array.from({ length: 5_000 }, () => ({ dimension: "page", operator: "is", values: ["/"] }));
export const filtersEdge = fc.oneof(
  fc.constantFrom<unknown>(manyFilters, [], [{}], [null], "device is Mobile", { 0: manyFilters[0] }),
  fc.array(filter, { minLength: 11, maxLength: 40 }),
  fc.array(wild, { minLength: 1, maxLength: 4 }),
  fc.tuple(filter, fc.constantFrom("dimension", "operator", "values", ...EXTRA_KEYS), wild).map(([f, k, v]) => [setOwn({ ...f }, k, v)]),
  filter.map((f) => [{ ...f, values: Array.from({ length: 21 }, (_, i) => `v${i}`) }]),
  fc.tuple(filter, fc.constantFrom("pathname", "PAGE", "page; drop table events", "__proto__", "toString", "")).map(([f, d]) => [{ ...f, dimension: d }]),
  fc.tuple(filter, fc.constantFrom("=", "like", "IS", "is not", "__proto__", "constructor")).map(([f, o]) => [{ ...f, operator: o }]),
  fc.tuple(filter, fc.array(nastyString, { minLength: 1, maxLength: 3 })).map(([f, values]) => [{ ...f, values }]),
  filter.chain((f) => poison(f.values[0]!).map((v) => [{ ...f, values: [v, ...f.values.slice(1)] }])),
);

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const day = fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2100-12-31T00:00:00Z"), noInvalidDate: true }).map(isoDay);
/** A short range that the schema accepts, anywhere from year 0 to the day before the last ISO day. */
const extremeRange = fc
  .tuple(
    fc.oneof(
      fc.date({ min: new Date("0000-01-01T00:00:00Z"), max: new Date("0001-12-31T00:00:00Z"), noInvalidDate: true }),
      fc.date({ min: new Date("9990-01-01T00:00:00Z"), max: new Date("9999-12-30T00:00:00Z"), noInvalidDate: true }),
    ),
    fc.integer({ min: 0, max: 400 }),
  )
  .map(([from, days]) => {
    const to = new Date(Math.min(from.getTime() + days * 86_400_000, Date.parse("9999-12-30T00:00:00Z")));
    return { key: "custom", from: isoDay(from), to: isoDay(to) };
  });
export const period = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PERIODS.filter((p) => p !== "custom")).map((key) => ({ key })) },
  { weight: 3, arbitrary: fc.tuple(day, day).map(([a, b]) => ({ key: "custom", from: a < b ? a : b, to: a < b ? b : a })) },
  { weight: 1, arbitrary: extremeRange },
);
// Days near the end of the calendar (9999-12-31) are in `endOfCalendar` below, run out of process.
const oddDay = fc.oneof(fc.constantFrom("0000-01-01", "0000-12-31", "0001-01-01", "2026-02-29", "2026-02-31", "2026-13-01", "2026-00-10", "2026-1-1", "20260101", "2026-01-01T00:00:00Z"), nastyString);
export const periodEdge = fc.oneof(
  fc.tuple(oddDay, oddDay).map(([from, to]) => ({ key: "custom", from, to })),
  fc.tuple(day, oddDay).map(([from, to]) => ({ key: "custom", from, to })),
  fc.tuple(oddDay, day).map(([from, to]) => ({ key: "custom", from, to })),
  fc.constantFrom<unknown>(
    { key: "custom" },
    { key: "custom", from: "2026-01-31", to: "2026-01-01" },
    { key: "custom", from: "1900-01-01", to: "2100-12-31" },
    { key: "custom", from: "0000-01-01", to: "0000-12-31" },
    { key: "custom", from: "0000-12-31", to: "0001-01-01" },
    { key: "7d", from: "x" },
    { key: "all" },
    "7d",
    null,
  ),
  fc.tuple(fc.constantFrom(...EXTRA_KEYS), wild).map(([k, v]) => setOwn({ key: "7d" }, k, v)),
);

/**
 * Custom periods that reach the last days of year 9999, where day arithmetic meets the end of
 * ISO dates. A hang there blocks the event loop for good, so these run in a child process.
 */
const lastYear = fc.date({ min: new Date("9990-01-01T00:00:00Z"), max: new Date("9999-12-31T00:00:00Z"), noInvalidDate: true }).map(isoDay);
export const endOfCalendar = fc.oneof(
  fc.constantFrom({ key: "custom", from: "9999-12-31", to: "9999-12-31" }, { key: "custom", from: "9999-12-01", to: "9999-12-31" }, { key: "custom", from: "9990-01-01", to: "9999-12-31" }),
  fc.tuple(lastYear, lastYear).map(([a, b]) => ({ key: "custom", from: a < b ? a : b, to: a < b ? b : a })),
);

export const dimension = fc.constantFrom(...DIMENSIONS);
export const dimensionEdge = fc.oneof(fc.constantFrom("pathname", "PAGE", "page ", "1=1", "__proto__", "constructor", "toString", "hasOwnProperty"), nastyString);
export const limit = fc.integer({ min: 1, max: 100 });
export const limitEdge = fc.oneof(nastyNumber, fc.constantFrom<unknown>("10", 1.5, null, [10]));

/** Variants of a site reference that should still find the site: case and spacing. */
export const siteVariants = (domain: string) => [domain, domain.toUpperCase(), ` ${domain} `];

/** A link's scope fields (SPEC §3a): mostly valid values, some that must be refused with a 4xx. */
export const expiresAt = fc.oneof(
  fc.integer({ min: 60, max: 400 * 86400 }).map((s) => new Date(Date.now() + s * 1000).toISOString()),
  fc.constantFrom<unknown>(null, "2020-01-01T00:00:00Z", "2999-12-31T23:59:59+14:00", "tomorrow", "2026-13-01T00:00:00Z", "2026-12-31", 0, ""),
);
const boundDay = fc.oneof(fc.date({ min: new Date("1969-12-25"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)), fc.constantFrom("2026-02-30", "2026-1-1", "", "0000-01-01"));
export const dateBounds = fc.oneof(
  fc.constant(null),
  fc.record({ kind: fc.constant("fixed"), from: boundDay, to: boundDay }),
  fc.record({ kind: fc.constant("since"), from: boundDay }),
  fc.constantFrom<unknown>({ kind: "fixed", from: "2026-01-01" }, { kind: "until", from: "2026-01-01" }, { kind: "since", from: "2026-01-01", to: "2026-02-01" }, "Q3", []),
);
export const visibleSections = fc.oneof(
  fc.subarray([...SECTIONS]),
  fc.array(fc.oneof(fc.constantFrom<string>(...SECTIONS), fc.constantFrom("goals", "totals", "PAGE", "__proto__", "")), { maxLength: 30 }),
);
export const scopeFields = {
  expiresAt,
  paused: fc.boolean(),
  dateBounds,
  visibleSections,
  allowPeriodChange: fc.boolean(),
  allowFilters: fc.boolean(),
  allowExport: fc.boolean(),
  embedOrigins: fc.array(
    fc.oneof(fc.constantFrom("https://client.example", "http://localhost:8080", "https://a.example/", "javascript:alert(1)", "https://x.example; script-src *", "ftp://x", "*", ""), nastyString),
    { maxLength: 25 },
  ),
};
