/**
 * Our own scripts and styles only; inline scripts need the per-response nonce. Pages may be framed
 * nowhere, except embed responses of the share page: by the link's allowed sites, or any site.
 */
export function contentSecurityPolicy(nonce: string, { frameable = false, origins = [] as string[] } = {}): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameable ? frameAncestors(origins) : "'none'"}`,
  ].join("; ");
}

/** Only plain origins reach the header, whatever was stored: nothing can add a directive. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;
function frameAncestors(origins: string[]): string {
  const plain = origins.filter((o) => ORIGIN.test(o));
  return plain.length ? plain.join(" ") : "*";
}
