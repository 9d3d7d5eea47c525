import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["server/**/*.test.ts", "db/**/*.test.ts", "app/**/*.test.ts", "scripts/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Two files at a time, one per core (the default leaves one core idle): about a fifth faster.
    maxWorkers: 2,
    // Argon2id hashing is deliberately slow, and two cores run the files in parallel. Timeouts are
    // there to catch hangs (speed is the bench's job): on this 2-core machine shared with other work
    // (load average above 20), seeding hooks and property tests that take 10–15 s idle took over
    // 60 s, and a test cut off by its timeout keeps running under the next one.
    testTimeout: 300_000,
    // A link's ceiling on wrong passwords from everywhere is 20× one network's limit (200); tests
    // lower it so they can reach it without hashing 200 passwords.
    env: { UNLOCK_LINK_MAX_ATTEMPTS: "30" },
    hookTimeout: 300_000,
  },
});
