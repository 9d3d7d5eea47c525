import { describe, expect, it } from "vitest";
import { SECTIONS } from "../schemas/link-scope.js";
import type { ShareLink } from "./access.js";
import { viewIn } from "./scope.js";

const link = (bounds: ShareLink["bounds"]): ShareLink => ({
  id: "00000000-0000-4000-8000-000000000001",
  slug: "a".repeat(21),
  site: { id: "s", domain: "scope.example", timezone: "Europe/Berlin" },
  passwordHash: null,
  resumedAt: null,
  segment: null,
  expiresAt: null,
  pausedAt: null,
  bounds,
  sections: [...SECTIONS],
  allowPeriodChange: true,
  allowFilters: true,
  allowExport: false,
  embedOrigins: [],
});

const at = (iso: string) => new Date(iso);
const TODAY = { period: { key: "today" as const }, filters: [] };

describe("a link's scope applied to a request", () => {
  it("counts current visitors only when the whole last five minutes lie inside the bounds", () => {
    const since = link({ kind: "since", from: "2026-12-01" });
    // 00:02 in Berlin on the first day: the window starts on the day before.
    expect(viewIn(since, TODAY, at("2026-11-30T23:02:00Z")).live).toBe(false);
    expect(viewIn(since, TODAY, at("2026-11-30T23:06:00Z")).live).toBe(true);
    const fixed = link({ kind: "fixed", from: "2026-11-01", to: "2026-11-30" });
    expect(viewIn(fixed, TODAY, at("2026-11-30T12:00:00Z")).live).toBe(true);
    expect(viewIn(fixed, TODAY, at("2026-11-30T23:02:00Z")).live).toBe(false);
  });

  it("compares with the previous period only when it lies inside the bounds", () => {
    const since = link({ kind: "since", from: "2026-11-01" });
    const week = { period: { key: "7d" as const }, filters: [] };
    expect(viewIn(since, week, at("2026-11-20T12:00:00Z")).previous).toBe(true);
    expect(viewIn(since, week, at("2026-11-10T12:00:00Z")).previous).toBe(false);
    expect(viewIn(since, week, at("2026-11-05T12:00:00Z")).period).toEqual({ key: "custom", from: "2026-11-01", to: "2026-11-05" });
  });
});
