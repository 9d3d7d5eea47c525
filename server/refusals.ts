import { TooManyRequests } from "./errors.js";

/** How long a 429 waits before it is sent. */
export const REFUSAL_PAUSE_MS = 1_000;

/**
 * Runs `work`; a TooManyRequests from it is thrown only after a pause. A refusal costs the server
 * a little work of its own (a page, a counter), so a client that ignores them and asks again at
 * once could turn refusals into a flood; paused, each of its connections gets about one a second.
 * Nobody else waits: the pause holds only the refused request.
 */
export async function pauseBeforeRefusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TooManyRequests) await new Promise((resolve) => setTimeout(resolve, REFUSAL_PAUSE_MS));
    throw error;
  }
}
