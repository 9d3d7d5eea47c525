import { describe, expect, it } from "vitest";
import { isDay, parseFileName } from "./tables.js";

describe("days and file names", () => {
  it("takes every calendar day and nothing else", () => {
    for (let t = Date.UTC(1970, 0, 1); t < Date.UTC(2101, 0, 1); t += 86_400_000) expect(isDay(new Date(t).toISOString().slice(0, 10))).toBe(true);
    for (const day of ["2023-02-29", "1900-02-29", "2100-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "1969-12-31", "2024-1-01", "2024-01-01 ", "２０２４-01-01"]) expect(isDay(day)).toBe(false);
    expect(isDay("2000-02-29")).toBe(true);
  });

  it("reads the table and range from Plausible's file names, in folders too", () => {
    expect(parseFileName("export/imported_pages_20211230_20220101.csv")).toEqual({ table: "imported_pages", from: "2021-12-30", to: "2022-01-01" });
    expect(parseFileName("imported_pages_20220101_20211230.csv")).toEqual({ error: expect.stringMatching(/ends before it starts/) });
    expect(parseFileName("imported_pages.csv")).toEqual({ error: expect.stringMatching(/not a file of Plausible's CSV export/) });
  });
});
