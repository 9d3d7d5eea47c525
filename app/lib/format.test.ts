import { describe, expect, it } from "vitest";
import { tryAgainIn } from "./format.js";

describe("how long to wait, as people read it", () => {
  it("says seconds under a minute and whole minutes, rounded up, above", () => {
    expect(tryAgainIn(1)).toBe("You can try again in 1 second.");
    expect(tryAgainIn(5)).toBe("You can try again in 5 seconds.");
    expect(tryAgainIn(60)).toBe("You can try again in 1 minute.");
    expect(tryAgainIn(61)).toBe("You can try again in 2 minutes.");
    expect(tryAgainIn(900)).toBe("You can try again in 15 minutes.");
  });
});
