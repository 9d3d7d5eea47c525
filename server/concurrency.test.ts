import { describe, expect, it } from "vitest";
import { createLimiter } from "./concurrency.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** A run that holds its place until opened. */
function gated() {
  const gates: Array<() => void> = [];
  let running = 0;
  let peak = 0;
  return {
    work: async () => {
      peak = Math.max(peak, ++running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
    },
    openAll: () => gates.splice(0).forEach((open) => open()),
    get running() {
      return running;
    },
    get peak() {
      return peak;
    },
  };
}

async function drain(all: Promise<unknown>, g: ReturnType<typeof gated>) {
  let done = false;
  const settled = all.then(() => (done = true));
  while (!done) {
    g.openAll();
    await tick();
  }
  await settled;
}

describe("the concurrency limiter", () => {
  it("runs at most `active` at once, queues `waiting`, and refuses the rest with a 429", async () => {
    const limited = createLimiter({ active: 2, waiting: 1, message: "Busy", retryAfterSeconds: 3 });
    const g = gated();
    const jobs = [limited(g.work), limited(g.work), limited(g.work)];
    await tick();
    expect(g.running).toBe(2);
    await expect(limited(g.work)).rejects.toMatchObject({ message: "Busy", retryAfterSeconds: 3 });
    await drain(Promise.all(jobs), g);
    expect(g.peak).toBe(2);
  });

  it("refuses one key's excess at its own door, leaving the shared line for others", async () => {
    const limited = createLimiter({ active: 1, waiting: 3, message: "Busy", retryAfterSeconds: 3 });
    const g = gated();
    const flood = { key: "flooder", max: 1, waiting: 1, message: "You already have one" };
    const jobs = [limited(g.work, [flood]), limited(g.work, [flood])];
    await tick();
    await expect(limited(g.work, [flood])).rejects.toMatchObject({ message: "You already have one" });
    // Someone else still gets into the shared line behind the flooder's one running job.
    const other = limited(g.work, [{ ...flood, key: "someone else" }]);
    await drain(Promise.all([...jobs, other]), g);
    expect(g.peak).toBe(1);
    // Keys are forgotten once idle: the flooder may come back.
    await drain(limited(g.work, [flood]), g);
  });
});
