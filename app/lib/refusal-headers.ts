import type { HeadersFunction } from "@remix-run/node";

/**
 * Remix sends an action's or loader's headers only through its route's `headers`: a route whose
 * forms can be refused (429, 503) exports this, so the page that says "try again in 5 minutes"
 * also says it in `Retry-After`, for tools and for the browser.
 */
export const refusalHeaders: HeadersFunction = ({ actionHeaders, loaderHeaders, errorHeaders, parentHeaders }) => {
  const headers = new Headers(parentHeaders);
  const retryAfter = actionHeaders.get("Retry-After") ?? errorHeaders?.get("Retry-After") ?? loaderHeaders.get("Retry-After");
  if (retryAfter) headers.set("Retry-After", retryAfter);
  return headers;
};
