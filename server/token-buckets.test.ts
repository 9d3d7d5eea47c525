import { describe, expect, it } from "vitest";
import { createTokenBuckets } from "./token-buckets.js";

describe("per-client token buckets", () => {
  it("allow a burst, then the rate, per client, and say how long to wait", () => {
    const buckets = createTokenBuckets({ perMinute: 60, burst: 3 });
    const t = 1_000_000;
    expect([0, 1, 2].map(() => buckets.take("a", t))).toEqual([0, 0, 0]);
    expect(buckets.take("a", t)).toBe(1);
    expect(buckets.take("b", t)).toBe(0);
    expect(buckets.take("a", t + 1_000)).toBe(0);
    expect(buckets.take("a", t + 1_000)).toBe(1);
    expect(buckets.take("a", t + 600_000)).toBe(0);
  });

  it("remember a bounded number of clients", () => {
    const buckets = createTokenBuckets({ perMinute: 1, burst: 1, maxClients: 2 });
    buckets.take("a", 0);
    expect(buckets.take("a", 0)).toBeGreaterThan(0);
    buckets.take("b", 0);
    buckets.take("c", 0);
    // "a" was forgotten to keep the memory bounded: it starts afresh.
    expect(buckets.take("a", 0)).toBe(0);
  });
});
