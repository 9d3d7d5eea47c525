import { describe, expect, it } from "vitest";
import { LIVE_TTL_MS, RecentViews, TTL_MS } from "./recent.js";

const memory = new RecentViews();
const recent = <T>(key: string, compute: () => Promise<T>, now: number, ttl?: number) => memory.get(key, compute, now, ttl);

describe("the short in-memory stats cache", () => {
  it("computes once for concurrent and repeated requests within the TTL, again after it", async () => {
    let calls = 0;
    const compute = async () => ++calls;
    const t = 1_000_000;
    const [a, b] = await Promise.all([recent("k1", compute, t), recent("k1", compute, t)]);
    expect([a, b, calls]).toEqual([1, 1, 1]);
    expect(await recent("k1", compute, t + TTL_MS - 1)).toBe(1);
    expect(await recent("k1", compute, t + TTL_MS)).toBe(2);
  });

  it("keeps figures of a period that includes today only LIVE_TTL_MS, so new events show soon", async () => {
    let calls = 0;
    const compute = async () => ++calls;
    const t = 2_000_000;
    expect(await recent("live", compute, t, LIVE_TTL_MS)).toBe(1);
    expect(await recent("live", compute, t + LIVE_TTL_MS - 1, LIVE_TTL_MS)).toBe(1);
    expect(await recent("live", compute, t + LIVE_TTL_MS, LIVE_TTL_MS)).toBe(2);
    expect(LIVE_TTL_MS).toBeLessThan(TTL_MS);
  });

  it("does not remember failures", async () => {
    await expect(recent("k2", async () => Promise.reject(new Error("db down")), 5)).rejects.toThrow("db down");
    expect(await recent("k2", async () => "ok", 6)).toBe("ok");
  });
});
