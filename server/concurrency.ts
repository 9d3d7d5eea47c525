import { TooManyRequests } from "./errors.js";

/**
 * At most `active` runs at once and `waiting` in line; anything beyond is refused at once with a
 * 429, so a flood of expensive requests queues briefly instead of starving everything else.
 */
export function createLimiter(options: { active: number; waiting: number; message: string; retryAfterSeconds: number }) {
  let running = 0;
  const queue: Array<() => void> = [];
  return async function limited<T>(work: () => Promise<T>): Promise<T> {
    if (running >= options.active) {
      if (queue.length >= options.waiting) throw new TooManyRequests(options.message, options.retryAfterSeconds);
      await new Promise<void>((resolve) => queue.push(resolve));
    } else {
      running++;
    }
    try {
      return await work();
    } finally {
      const next = queue.shift();
      if (next) next();
      else running--;
    }
  };
}
