import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["server/**/*.test.ts", "db/**/*.test.ts", "app/**/*.test.ts", "scripts/**/*.test.ts"],
    globalSetup: ["server/test/global-setup.ts"],
    // Argon2id hashing is deliberately slow, and two cores run the files in parallel.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
