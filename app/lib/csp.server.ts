/**
 * Our own scripts and styles only; inline scripts need the per-response nonce. Pages may be framed
 * nowhere, except embed responses of the share page, which anyone may frame.
 */
export function contentSecurityPolicy(nonce: string, { frameable = false } = {}): string {
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
    `frame-ancestors ${frameable ? "*" : "'none'"}`,
  ].join("; ");
}
