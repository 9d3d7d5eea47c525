import { TooManyRequests } from "./errors.js";

/** How long a 429 waits before it is sent. */
export const REFUSAL_PAUSE_MS = 1_000;

/**
 * Runs `work`; a TooManyRequests from it is thrown only after a pause. A refusal costs the server
 * a little work of its own (a page, a counter), so a client that ignores them and asks again at
 * once could turn refusals into a flood; paused, each of its connections gets about one a second.
 * Nobody else waits: the pause holds only the refused request.
 */
export async function pauseBeforeRefusing<T>(work: () => Promise<T>, pauseMs = REFUSAL_PAUSE_MS): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TooManyRequests && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    throw error;
  }
}

/**
 * The pause for this request. Tests that are refused hundreds of times on purpose (the fuzz suite)
 * hand the router `refusalPauseMs: 0` in the context they build, as they hand it `now`; requests
 * never carry one.
 */
export function refusalPauseFrom(ctx: object): number {
  const pause = (ctx as { refusalPauseMs?: unknown }).refusalPauseMs;
  return typeof pause === "number" ? pause : REFUSAL_PAUSE_MS;
}
