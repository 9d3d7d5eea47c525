/**
 * The path as the router will match it. Remix resolves dot segments and backslashes (WHATWG URL
 * rules), decodes percent-escapes and matches static segments case-insensitively, so `/SHARE/x`,
 * `/%73hare/x` and `/a/../share/x` all reach the share page. Every decision the server makes by
 * path (headers, log redaction, CSRF exemptions) uses this form, so no spelling slips past one.
 * Null for a path that cannot be decoded (the request is refused).
 */
export function routePath(rawPath: string): string | null {
  if (!rawPath.startsWith("/")) return null;
  let pathname: string;
  try {
    // Repeated slashes are folded too: the router does not match them, and treating them as one
    // only ever adds the share headers to a page that would be a 404 anyway.
    pathname = new URL(`http://glimpse.invalid${rawPath}`).pathname.replace(/\/{2,}/g, "/");
  } catch {
    return null;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  return decoded.toLowerCase();
}

/** Share pages: the slug in their URL is a bearer secret (no Referer, no index, no logging). */
export function isSharePath(path: string): boolean {
  return path === "/share" || path.startsWith("/share/");
}

/** Embeds made with a token: the token in their URL opens the link, like a slug (`/embed/<token>`). */
export function isEmbedPath(path: string): boolean {
  return path.startsWith("/embed/");
}

/** Unsubscribe links: the token in their URL is the recipient's permission, kept out of logs and Referer like a slug. */
export function isUnsubscribePath(path: string): boolean {
  return path.startsWith("/unsubscribe/");
}

/** Confirmation links of new digest recipients: the token is theirs alone, like an unsubscribe token. */
export function isSubscribePath(path: string): boolean {
  return path.startsWith("/subscribe/");
}

/** Password reset links: whoever holds the token may set the account's password. */
export function isResetPath(path: string): boolean {
  return path.startsWith("/reset-password/");
}

/** Invitation links: whoever holds the token may join the site (as the invited address). */
export function isInvitationPath(path: string): boolean {
  return path.startsWith("/invitations/");
}

/** Account address confirmation links: whoever holds the token may confirm the address. */
export function isEmailConfirmationPath(path: string): boolean {
  return path.startsWith("/confirm-email/");
}

/** Paths that carry a bearer secret: no Referer leaves them and no search engine indexes them. */
export function isSecretPath(path: string): boolean {
  return isSharePath(path) || isEmbedPath(path) || isUnsubscribePath(path) || isSubscribePath(path) || isResetPath(path) || isInvitationPath(path) || isEmailConfirmationPath(path);
}

/**
 * What a log line may show of a path: the router's spelling, with a share page's slug and
 * anything after a share path replaced.
 */
export function loggablePath(rawPath: string): string {
  const path = routePath(rawPath);
  if (path === null) return "(undecodable path)";
  if (path.startsWith("/share/")) return "/share/:slug";
  if (isEmbedPath(path)) return "/embed/:token";
  if (isUnsubscribePath(path)) return "/unsubscribe/:token";
  if (isSubscribePath(path)) return "/subscribe/:token";
  if (isResetPath(path)) return "/reset-password/:token";
  if (isInvitationPath(path)) return "/invitations/:token";
  if (isEmailConfirmationPath(path)) return "/confirm-email/:token";
  return path.slice(0, 200);
}

/**
 * True only for a plain spelling: no percent-escapes, backslashes, dot segments or empty
 * segments. An exemption granted to one path (ingestion is cross-site) is granted only to plain
 * spellings of it, so it cannot be borrowed by a path the router resolves elsewhere
 * (`/api/event/../sites/…`).
 */
export function isPlainPath(rawPath: string): boolean {
  return rawPath.startsWith("/") && !/[%\\]|\/\.\.?(\/|$)|\/\//.test(rawPath);
}
