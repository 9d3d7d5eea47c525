import { afterEach, describe, expect, it, vi } from "vitest";
import { TooManyRequests } from "./errors.js";
import { growingPauses, pauseBeforeRefusing } from "./refusals.js";

const limits = { refusals: growingPauses() };

afterEach(() => vi.useRealTimers());

/** How long a refusal for `client` took to arrive, in fake milliseconds. */
async function refusalDelay(client: string): Promise<number> {
  const started = Date.now();
  let settled = false;
  const refused = pauseBeforeRefusing({ client, limits }, async () => {
    throw new TooManyRequests("Not now", 5);
  }).catch((error: unknown) => {
    settled = true;
    return error;
  });
  while (!settled) await vi.advanceTimersByTimeAsync(250);
  expect(await refused).toBeInstanceOf(TooManyRequests);
  return Date.now() - started;
}

describe("refusals", () => {
  it("wait 1 s, then twice as long each time the same client comes back refused, at most 8 s", async () => {
    vi.useFakeTimers();
    const delays = [];
    for (let i = 0; i < 6; i++) delays.push(await refusalDelay("203.0.113.1"));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    // Another client starts at one second, and so does this one after a quiet minute.
    expect(await refusalDelay("203.0.113.2")).toBe(1000);
    await vi.advanceTimersByTimeAsync(61_000);
    expect(await refusalDelay("203.0.113.1")).toBe(1000);
  });

  it("answer everything else at once", async () => {
    vi.useFakeTimers();
    await expect(pauseBeforeRefusing({ client: "x", limits }, async () => 42)).resolves.toBe(42);
    await expect(pauseBeforeRefusing({ client: "x", limits }, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
  });
});
