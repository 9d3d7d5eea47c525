import { describe, expect, it } from "vitest";
import { type Copy, coverage } from "./copies.js";

const copy = (id: string, from: string, to: string, copiedAt: string, version = 3): Copy => ({ copy: id, version, from, to, copiedAt, visits: 1, events: 1 });

describe("which copy each day is read from", () => {
  it("reads runs of days from their copies, up to the first gap", () => {
    const covered = coverage([copy("b", "2026-02-01", "2026-02-28", "2026-03-01 00:10:00.000"), copy("a", "2026-01-01", "2026-01-31", "2026-03-01 00:05:00.000")], 3);
    expect(covered.through).toBe("2026-03-01");
    expect(covered.segments).toEqual([
      { copy: "a", from: "2026-01-01", to: "2026-01-31" },
      { copy: "b", from: "2026-02-01", to: "2026-02-28" },
    ]);
    expect(covered.superseded).toEqual([]);
  });

  it("reads a day copied again from its newest copy only", () => {
    const old = copy("old", "2026-01-01", "2026-01-31", "2026-02-01 00:00:00.000");
    const again = copy("again", "2026-01-10", "2026-01-20", "2026-02-02 00:00:00.000");
    const covered = coverage([old, again], 3);
    expect(covered.segments).toEqual([
      { copy: "old", from: "2026-01-01", to: "2026-01-09" },
      { copy: "again", from: "2026-01-10", to: "2026-01-20" },
      { copy: "old", from: "2026-01-21", to: "2026-01-31" },
    ]);
    expect(covered.superseded).toEqual([]);
    const whole = copy("whole", "2026-01-01", "2026-01-31", "2026-02-03 00:00:00.000");
    const after = coverage([old, again, whole], 3);
    expect(after.segments).toEqual([{ copy: "whole", from: "2026-01-01", to: "2026-01-31" }]);
    expect(after.superseded.map((c) => c.copy).sort()).toEqual(["again", "old"]);
  });

  it("ignores copies of another stats version, and days after a gap", () => {
    const covered = coverage([copy("v2", "2026-01-01", "2026-01-31", "2026-02-01 00:00:00.000", 2), copy("v3", "2026-01-01", "2026-01-05", "2026-02-02 00:00:00.000"), copy("later", "2026-01-07", "2026-01-09", "2026-02-02 00:00:01.000")], 3);
    expect(covered.through).toBe("2026-01-06");
    expect(covered.segments).toEqual([{ copy: "v3", from: "2026-01-01", to: "2026-01-05" }]);
    expect(covered.superseded.map((c) => c.copy).sort()).toEqual(["later", "v2"]);
    expect(coverage([], 3)).toEqual({ through: null, segments: [], superseded: [] });
  });
});
