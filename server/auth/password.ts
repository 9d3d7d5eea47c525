import { Argon2id } from "oslo/password";
import { createLimiter } from "../concurrency.js";

// OWASP's recommended Argon2id parameters (19 MiB, 2 passes), which are also oslo's defaults.
const argon2id = new Argon2id({ memorySize: 19456, iterations: 2, parallelism: 1 });

/** Said when the server, not the password, is the reason an attempt was not checked. */
const BUSY_MESSAGE = "The server is busy checking passwords. Please try again in a few seconds.";

/**
 * Each hash costs ~20 MiB and tens of milliseconds of CPU. One at a time, with a short line, means
 * a flood of password attempts can take at most one core: pages keep rendering on the other. One
 * client network gets one hash at a time and a few more in line, so an address flooding sign-ups
 * or guesses waits at its own door, and a recipient elsewhere is checked after a few hashes at most.
 */
const withSlot = createLimiter({ active: 1, waiting: 32, message: BUSY_MESSAGE, retryAfterSeconds: 5 });

/** Work for a signed-in person (an admin setting link passwords) rather than an anonymous network. */
export const forUser = (userId: string) => `user:${userId}`;

const perClient = (client: string) => [
  {
    key: client,
    max: 1,
    // A few may wait (people behind one office address unlocking at once), a signed-in person
    // more (a script creating links); the shared line holds 32.
    waiting: client.startsWith("user:") || client === "system" ? 16 : 4,
    message: "Your network is already checking passwords. Please wait a few seconds and try again.",
  },
];

/** `client`: who the work is for (a client network, `forUser(id)`, "system"), so it can be bounded per client. */
export function hashPassword(password: string, client: string): Promise<string> {
  return withSlot(() => argon2id.hash(password), perClient(client));
}

export function verifyPassword(hash: string, password: string, client: string): Promise<boolean> {
  return withSlot(() => argon2id.verify(hash, password), perClient(client));
}

/** Spends the same work as a real verification, so unknown accounts answer as slowly as known ones. */
const DUMMY_HASH = argon2id.hash("glimpse-timing-equaliser");
export async function verifyAgainstNothing(password: string, client: string): Promise<false> {
  await verifyPassword(await DUMMY_HASH, password, client);
  return false;
}
