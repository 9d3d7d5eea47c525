import { describe, expect, it } from "vitest";
import { fixedClock } from "../clock.js";
import type { Filter } from "../schemas/filters.js";
import { type QueryParts, queryKey, rangeOf, statsQuery } from "./query.js";

const SITE = { id: "s", domain: "s.test", timezone: "Europe/Berlin" };
const NOW = new Date("2026-03-15T12:00:00Z");
const MOBILE: Filter[] = [{ dimension: "device", operator: "is", values: ["Mobile"] }];
const query = (parts: Partial<QueryParts> = {}) => statsQuery(SITE, { period: { key: "30d" }, filters: [], clock: fixedClock(NOW), ...parts });
const key = (parts: Partial<QueryParts> = {}) => queryKey(query(parts), "dashboard");

describe("a view's query", () => {
  it("counts under the fixed filters ANDed with the viewer's, and echoes only the viewer's", () => {
    const q = query({ fixedFilters: MOBILE, filters: [{ dimension: "country", operator: "is", values: ["DE"] }] });
    expect(q.where).toEqual([...MOBILE, { dimension: "country", operator: "is", values: ["DE"] }]);
    expect(q.filters).toEqual([{ dimension: "country", operator: "is", values: ["DE"] }]);
    expect(rangeOf(q, q.range, { goals: [], version: 0 }).filters).toEqual(q.where);
  });

  it("keeps only bounded filter sets anywhere: the viewer's own apart, nothing when asked", () => {
    expect(query({ fixedFilters: MOBILE }).keep).toBe("bounded");
    expect(query({ filters: MOBILE }).keep).toBe("viewer");
    expect(query({ cache: false }).keep).toBe("none");
  });

  it("compares with the period's own previous range, another one, or none", () => {
    expect(query().previous).toEqual({ from: "2026-01-15", to: "2026-02-13" });
    expect(query({ previous: false }).previous).toBeNull();
    expect(query({ previous: { from: "2026-01-01", to: "2026-01-07" } }).previous).toEqual({ from: "2026-01-01", to: "2026-01-07" });
  });

  it("keys on everything that changes the figures, so a link can never be served another's", () => {
    expect(key({ fixedFilters: MOBILE })).not.toBe(key({ fixedFilters: [{ dimension: "device", operator: "is", values: ["Desktop"] }] }));
    expect(key()).not.toBe(key({ fixedFilters: MOBILE }));
    expect(key({ sections: ["series"] })).not.toBe(key());
    expect(key({ previous: false })).not.toBe(key());
    expect(key({ live: false })).not.toBe(key());
    expect(key({ limit: 20 })).not.toBe(key());
    expect(key({ period: { key: "7d" } })).not.toBe(key());
    const ab = key({ filters: [{ dimension: "country", operator: "is", values: ["DE", "FR"] }] });
    const ba = key({ filters: [{ dimension: "country", operator: "is", values: ["FR", "DE"] }] });
    expect(ab).toBe(ba);
  });
});
