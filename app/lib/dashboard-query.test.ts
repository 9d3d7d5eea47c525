import { describe, expect, it } from "vitest";
import { DIMENSIONS } from "../../server/schemas/filters.js";
import { MAX_VIEW_FILTERS } from "../../server/schemas/stats.js";
import { parseDashboardQuery, toSearch, withFilter, withoutFilter, withParam, withPeriod } from "./dashboard-query.js";

describe("period", () => {
  it("defaults to the last 30 days when absent", () => {
    const q = parseDashboardQuery("");
    expect(q.period).toEqual({ key: "30d" });
    expect(q.errors).toEqual([]);
  });

  it("falls back to 30 days with an error for an unknown period", () => {
    const q = parseDashboardQuery("?period=forever");
    expect(q.period).toEqual({ key: "30d" });
    expect(q.errors[0]).toMatch(/Unknown period “forever”/);
  });

  it("reads a custom range", () => {
    expect(parseDashboardQuery("period=custom&from=2026-01-01&to=2026-01-31").period).toEqual({
      key: "custom",
      from: "2026-01-01",
      to: "2026-01-31",
    });
  });

  it.each([
    ["period=custom&from=2026-01-01", /both a start and an end/],
    ["period=custom&from=2026-02-01&to=2026-01-01", /on or after the start/],
    ["period=custom&from=2026-02-30&to=2026-03-01", /2026-02-30 is not a date/],
    ["period=custom&from=yesterday&to=2026-03-01", /Use a date like/],
  ])("rejects the custom range %s", (search, message) => {
    const q = parseDashboardQuery(search);
    expect(q.period).toEqual({ key: "30d" });
    expect(q.errors[0]).toMatch(message);
  });

  it("ignores from and to unless the period is custom", () => {
    const q = parseDashboardQuery("period=7d&from=2026-01-01&to=");
    expect(q.period).toEqual({ key: "7d" });
    expect(toSearch(q)).toBe("?period=7d");
  });
});

describe("filters", () => {
  it("splits on the first two commas only, so values may contain commas", () => {
    const q = parseDashboardQuery("f=page,contains,/a,b,c&f=country,is,DE");
    expect(q.filters).toEqual([
      { dimension: "page", operator: "contains", values: ["/a,b,c"] },
      { dimension: "country", operator: "is", values: ["DE"] },
    ]);
  });

  it.each([
    ["f=planet,is,Mars", /Choose a dimension/],
    ["f=country,like,DE", /Choose an operator/],
    ["f=country,is", /dimension,operator,value/],
  ])("drops the invalid filter %s and says why", (search, message) => {
    const q = parseDashboardQuery(`${search}&f=device,is,Mobile`);
    expect(q.filters).toEqual([{ dimension: "device", operator: "is", values: ["Mobile"] }]);
    expect(q.errors).toHaveLength(1);
    expect(q.errors[0]).toMatch(message);
  });

  it(`keeps at most ${MAX_VIEW_FILTERS} filters`, () => {
    const pairs = DIMENSIONS.map((d): [string, string] => ["f", `${d},contains,x`]);
    const q = parseDashboardQuery(new URLSearchParams(pairs));
    expect(pairs.length).toBeGreaterThan(MAX_VIEW_FILTERS);
    expect(q.filters).toHaveLength(MAX_VIEW_FILTERS);
    expect(q.errors[0]).toMatch(/at most 10 filters/);
  });

  it("accepts an empty value: unknown country, no referrer", () => {
    const q = parseDashboardQuery("f=country,is,&f=source,is_not,");
    expect(q.filters).toEqual([
      { dimension: "country", operator: "is", values: [""] },
      { dimension: "source", operator: "is_not", values: [""] },
    ]);
    expect(q.errors).toEqual([]);
  });

  it("folds repeated filters on the same dimension and operator into one with several values", () => {
    const q = parseDashboardQuery("f=country,is,DE&f=country,is,FR&f=country,is_not,US&f=country,is,DE");
    expect(q.filters).toEqual([
      { dimension: "country", operator: "is", values: ["DE", "FR"] },
      { dimension: "country", operator: "is_not", values: ["US"] },
    ]);
    expect(parseDashboardQuery(toSearch(q)).filters).toEqual(q.filters);
  });

  it("keeps a hostile value as plain data", () => {
    const value = "'; drop table events; --";
    const q = parseDashboardQuery(new URLSearchParams([["f", `page,is,${value}`]]));
    expect(q.filters[0]?.values).toEqual([value]);
    expect(parseDashboardQuery(toSearch(q)).filters[0]?.values).toEqual([value]);
  });
});

describe("helpers", () => {
  const base = parseDashboardQuery("embed=true&period=7d&f=country,is,DE&theme=dark&more=page");

  it("adds an is filter, replacing an earlier is on the same dimension", () => {
    const q = withFilter(base, { dimension: "country", operator: "is", values: ["FR"] });
    expect(q.filters).toEqual([{ dimension: "country", operator: "is", values: ["FR"] }]);
    const r = withFilter(q, { dimension: "page", operator: "is", values: ["/pricing"] });
    expect(r.filters).toHaveLength(2);
    expect(base.filters[0]?.values).toEqual(["DE"]);
  });

  it("adds other operators alongside", () => {
    const q = withFilter(base, { dimension: "country", operator: "is_not", values: ["FR"] });
    expect(q.filters.map((f) => f.operator)).toEqual(["is", "is_not"]);
  });

  it("removes a filter by position", () => {
    const q = withoutFilter(withFilter(base, { dimension: "os", operator: "is", values: ["iOS"] }), 0);
    expect(q.filters).toEqual([{ dimension: "os", operator: "is", values: ["iOS"] }]);
  });

  it("changes the period and drops stale dates", () => {
    const custom = withPeriod(base, { key: "custom", from: "2026-01-01", to: "2026-01-02" });
    expect(toSearch(custom)).toContain("period=custom&from=2026-01-01&to=2026-01-02");
    expect(toSearch(withPeriod(custom, { key: "today", from: "2026-01-01" }))).not.toContain("from=");
  });

  it("keeps the parameters it does not own", () => {
    expect(toSearch(base)).toBe("?period=7d&f=country,is,DE&embed=true&theme=dark&more=page");
    expect(toSearch(withoutFilter(base, 0))).toBe("?period=7d&embed=true&theme=dark&more=page");
    expect(toSearch(withParam(base, "more", "country"))).toBe("?period=7d&f=country,is,DE&embed=true&theme=dark&more=country");
    expect(toSearch(withParam(base, "more", null))).not.toContain("more");
  });

  it("encodes what would break the query string and reads it back", () => {
    const value = "/search?q=a&b=c d#top+1";
    const q = withFilter(base, { dimension: "page", operator: "is", values: [value] });
    const search = toSearch(q);
    expect(search).toContain("f=page,is,/search%3Fq%3Da%26b%3Dc%20d%23top%2B1");
    expect(parseDashboardQuery(search).filters[1]?.values).toEqual([value]);
  });
});
