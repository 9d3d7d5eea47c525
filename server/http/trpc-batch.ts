/**
 * Calls one HTTP request to the tRPC endpoint may carry. A batch runs its calls at once, so
 * without a cap one GET of 200 `share.resolve` calls ran 200 lookups (only the 16 KB header limit
 * bounded it). Ten is more than any page of ours or the typed client (which splits larger
 * batches, `createGlimpseClient`) ever sends together.
 */
export const MAX_BATCH_CALLS = 10;

/**
 * How many procedure calls a tRPC request names, read as tRPC reads it: a batch (`?batch=1`)
 * names its procedures comma-separated in the path, anything else names one.
 */
export function callsIn(url: URL, endpoint: string): number {
  if (url.searchParams.get("batch") !== "1") return 1;
  let path = url.pathname.slice(endpoint.length + 1);
  try {
    path = decodeURIComponent(path);
  } catch {
    // tRPC cannot read such a path either, and refuses it without running anything.
  }
  return path.split(",").length;
}

/** The refusal of a batch over the cap, in words; null when the request is within it. */
export function batchRefusal(url: URL, endpoint: string): string | null {
  const calls = callsIn(url, endpoint);
  if (calls <= MAX_BATCH_CALLS) return null;
  return `A request may carry at most ${MAX_BATCH_CALLS} calls, and this one has ${calls}. Send them in smaller batches.`;
}
