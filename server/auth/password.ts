import { Argon2id } from "oslo/password";
import { createLimiter } from "../concurrency.js";

// OWASP's recommended Argon2id parameters (19 MiB, 2 passes), which are also oslo's defaults.
const argon2id = new Argon2id({ memorySize: 19456, iterations: 2, parallelism: 1 });

/**
 * Each hash costs ~20 MiB and tens of milliseconds of CPU. One at a time, with a short queue, means
 * a flood of password attempts can take at most one core: pages keep rendering on the other, and
 * attempts beyond the queue get a quick 429 instead of waiting.
 */
const withSlot = createLimiter({
  active: 1,
  waiting: 16,
  message: "The server is busy checking passwords. Please try again in a moment.",
  retryAfterSeconds: 5,
});

export function hashPassword(password: string): Promise<string> {
  return withSlot(() => argon2id.hash(password));
}

export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return withSlot(() => argon2id.verify(hash, password));
}

/** Spends the same work as a real verification, so unknown accounts answer as slowly as known ones. */
const DUMMY_HASH = argon2id.hash("glimpse-timing-equaliser");
export async function verifyAgainstNothing(password: string): Promise<false> {
  await verifyPassword(await DUMMY_HASH, password);
  return false;
}
