import { describe, expect, it } from "vitest";
import { createLimiter } from "./concurrency.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("the concurrency limiter", () => {
  it("runs at most `active` at once, queues `waiting`, and refuses the rest with a 429", async () => {
    const limited = createLimiter({ active: 2, waiting: 1, message: "Busy", retryAfterSeconds: 3 });
    let running = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    const job = () =>
      limited(async () => {
        peak = Math.max(peak, ++running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
      });
    const jobs = [job(), job(), job()];
    await tick();
    expect(running).toBe(2);
    await expect(job()).rejects.toMatchObject({ message: "Busy", retryAfterSeconds: 3 });
    let done = false;
    const all = Promise.all(jobs).then(() => (done = true));
    while (!done) {
      gates.splice(0).forEach((open) => open());
      await tick();
    }
    await all;
    expect(peak).toBe(2);
  });
});
