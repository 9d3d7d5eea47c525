/**
 * The action of a route that only answers GET: a plain 405 that says so, where Remix's own would be
 * an "Unexpected Server Error" (and, in development, its stack).
 */
export function getOnly(): Response {
  return new Response("This address only answers GET.\n", { status: 405, headers: { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" } });
}
