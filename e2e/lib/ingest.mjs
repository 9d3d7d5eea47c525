// Events are acknowledged when they are buffered and written within the flush interval (the e2e
// servers write every 100 ms, see run.mjs); a spec that reads what it sent waits for that first.
export const FLUSH_MS = 100;

export function eventsWritten() {
  return new Promise((resolve) => setTimeout(resolve, FLUSH_MS * 5));
}
