import { describe, expect, it } from "vitest";
import { Invalid } from "../errors.js";
import { bucketsOf, resolvePeriod } from "./period.js";

// 03:30 UTC on 1 March is still 28 February in New York and already 1 March in Berlin.
const NOW = new Date("2026-03-01T03:30:00Z");

describe("periods in the site's timezone", () => {
  it("resolves today, 7d, 30d, month and 12mo with the previous period of the same length", () => {
    const ny = (key: "today" | "7d" | "30d" | "month" | "12mo") => resolvePeriod({ key }, "America/New_York", NOW);
    expect(ny("today")).toMatchObject({ from: "2026-02-28", to: "2026-02-28", interval: "hour", previous: { from: "2026-02-27", to: "2026-02-27" } });
    expect(ny("7d")).toMatchObject({ from: "2026-02-22", to: "2026-02-28", interval: "day", previous: { from: "2026-02-15", to: "2026-02-21" } });
    expect(ny("30d")).toMatchObject({ from: "2026-01-30", to: "2026-02-28", previous: { from: "2025-12-31", to: "2026-01-29" } });
    expect(ny("month")).toMatchObject({ from: "2026-02-01", to: "2026-02-28", previous: { from: "2026-01-04", to: "2026-01-31" } });
    expect(ny("12mo")).toMatchObject({ from: "2025-03-01", to: "2026-02-28", interval: "month" });
    expect(resolvePeriod({ key: "today" }, "Europe/Berlin", NOW)).toMatchObject({ from: "2026-03-01", to: "2026-03-01" });
    expect(resolvePeriod({ key: "month" }, "Europe/Berlin", NOW)).toMatchObject({ from: "2026-03-01", to: "2026-03-01" });
  });

  it("resolves custom ranges without a previous period, charting long ones by month", () => {
    expect(resolvePeriod({ key: "custom", from: "2026-01-05", to: "2026-01-05" }, "UTC", NOW)).toMatchObject({ interval: "hour", previous: null, label: "2026-01-05" });
    expect(resolvePeriod({ key: "custom", from: "2026-01-01", to: "2026-01-31" }, "UTC", NOW)).toMatchObject({ interval: "day", previous: null });
    expect(resolvePeriod({ key: "custom", from: "2024-01-01", to: "2026-01-31" }, "UTC", NOW)).toMatchObject({ interval: "month" });
  });

  it("refuses impossible dates and endless ranges with the field that is wrong", () => {
    const attempt = (from: string, to: string) => () => resolvePeriod({ key: "custom", from, to }, "UTC", NOW);
    expect(attempt("2026-02-31", "2026-03-01")).toThrow(expect.objectContaining({ message: "Use a real start date like 2026-01-31", field: "period.from" }));
    expect(attempt("2026-02-01", "2026-13-01")).toThrow(Invalid);
    expect(attempt("2026-02-02", "2026-02-01")).toThrow("The end date must be on or after the start date");
    expect(attempt("2000-01-01", "2026-01-01")).toThrow("Pick a range of at most 10 years");
    expect(attempt("0000-11-15", "0001-02-02")).toThrow("Pick dates from 1970 on");
  });

  it("handles the last day of year 9999 without running past it", () => {
    const range = resolvePeriod({ key: "custom", from: "9999-12-31", to: "9999-12-31" }, "UTC", NOW);
    expect(bucketsOf(range, range.interval)).toHaveLength(24);
    expect(bucketsOf({ from: "9999-12-30", to: "9999-12-31" }, "day")).toEqual(["9999-12-30", "9999-12-31"]);
    expect(bucketsOf({ from: "9999-11-30", to: "9999-12-31" }, "month")).toEqual(["9999-11", "9999-12"]);
  });

  it("lists every bucket so empty hours, days and months show as zeros", () => {
    const hours = bucketsOf({ from: "2026-03-08", to: "2026-03-08" }, "hour");
    expect(hours).toHaveLength(24);
    expect(hours[0]).toBe("2026-03-08T00:00");
    expect(hours[23]).toBe("2026-03-08T23:00");
    expect(bucketsOf({ from: "2026-02-27", to: "2026-03-02" }, "day")).toEqual(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
    expect(bucketsOf({ from: "2025-11-15", to: "2026-02-03" }, "month")).toEqual(["2025-11", "2025-12", "2026-01", "2026-02"]);
  });
});
