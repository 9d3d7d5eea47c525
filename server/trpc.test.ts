import { describe, expect, it } from "vitest";
import { Conflict } from "./errors.js";
import { createCallerFactory, publicProcedure, router } from "./trpc.js";
import { createContext } from "./context.js";
import { createServices } from "./services.js";

// Procedures that fail the way the database and domain modules do.
const testRouter = router({
  timedOut: publicProcedure.query(() => {
    throw Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" });
  }),
  conflict: publicProcedure.query(() => {
    throw new Conflict("Taken", "name");
  }),
});
const caller = createCallerFactory(testRouter)(createContext({ services: createServices(null as never) }));

describe("errors as callers see them", () => {
  it("turn a statement timeout into 503 with a sentence, not a 500", async () => {
    await expect(caller.timedOut()).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE", message: expect.stringMatching(/took too long/) });
  });

  it("map domain errors by class", async () => {
    await expect(caller.conflict()).rejects.toMatchObject({ code: "CONFLICT", message: "Taken" });
  });
});
