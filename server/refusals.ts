import { TooManyRequests } from "./errors.js";

/** The first 429 in a while waits this long before it is sent; each further one twice as long. */
const REFUSAL_PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 8_000;
/** Refusals further apart than this start over at the first pause. */
const FORGET_AFTER_MS = 60_000;
const MAX_CLIENTS = 50_000;

/** How long a client's next refusal waits before it is sent. */
export interface RefusalPauses {
  pause(client: string): number;
}

/**
 * 1 s, then 2, 4 and at most 8 s while a client keeps asking after being refused. A person who
 * is refused once waits a second; a client hammering gets about one answer every 8 s per
 * connection. Bounded: at most MAX_CLIENTS are remembered.
 */
export function growingPauses(): RefusalPauses {
  /** Recent refusals by client network: how many in a row, and when the last one was. */
  const recent = new Map<string, { count: number; at: number }>();
  return {
    pause(client, now = Date.now()) {
      const last = recent.get(client);
      const count = last && now - last.at < FORGET_AFTER_MS ? last.count + 1 : 1;
      recent.delete(client);
      recent.set(client, { count, at: now });
      if (recent.size > MAX_CLIENTS) recent.delete(recent.keys().next().value!);
      return Math.min(REFUSAL_PAUSE_MS * 2 ** (count - 1), MAX_PAUSE_MS);
    },
  };
}

/**
 * Runs `work`; a TooManyRequests from it (or whatever else `isRefusal` names) is thrown only after
 * a pause. A refusal costs the server a little work of its own (a page, a counter), so a client
 * that ignores them and asks again at once could turn refusals into a flood; paused, each of its
 * connections gets one now and then. Nobody else waits: the pause holds only the refused request.
 */
export async function pauseBeforeRefusing<T>(ctx: { client: string; limits: { refusals: RefusalPauses } }, work: () => Promise<T>, isRefusal: (error: unknown) => boolean = isTooManyRequests): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isRefusal(error)) {
      const pause = ctx.limits.refusals.pause(ctx.client);
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
    throw error;
  }
}

function isTooManyRequests(error: unknown): boolean {
  return error instanceof TooManyRequests;
}
