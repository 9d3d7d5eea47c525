/** The largest import upload, all files together (imports/limits.ts says why). */
export const IMPORT_UPLOAD_BYTES = 200 * 1024 * 1024;

/** Where uploads of imports go (POST /api/sites/{domain}/imports). */
export const IMPORT_UPLOAD_PATH = /^\/api\/sites\/[^/]+\/imports$/;

/**
 * The largest request body each kind of route accepts, in bytes. Enforced before the body is
 * read (Content-Length) and while it streams in, so no body, alone or many at once, can fill
 * the server's memory: the largest legitimate one is a few kilobytes.
 */
export const BODY_LIMITS = {
  /** An analytics event: Plausible's payload with a URL, a referrer and a few properties. */
  event: 16 * 1024,
  /** tRPC calls from internal tools, batches included. */
  api: 256 * 1024,
  /** Every form in the app: the largest is a segment with 20 filter rows. */
  form: 64 * 1024,
  /** GET, HEAD and OPTIONS carry no body that anyone reads. */
  none: 0,
} as const;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The limit for a request, by method and by its path as the router matches it (`routePath`). */
export function bodyLimit(method: string, path: string): number {
  if (SAFE_METHODS.has(method.toUpperCase())) return BODY_LIMITS.none;
  if (path === "/api/event") return BODY_LIMITS.event;
  if (path === "/api/trpc" || path.startsWith("/api/trpc/")) return BODY_LIMITS.api;
  // Not read into memory like the bodies above: streamed into the database in chunks (imports/upload.ts).
  if (IMPORT_UPLOAD_PATH.test(path)) return IMPORT_UPLOAD_BYTES + 64 * 1024;
  return BODY_LIMITS.form;
}

/** "16 KB", for messages. */
export function describeLimit(bytes: number): string {
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;
}
