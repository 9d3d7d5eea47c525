import type { AppLoadContext } from "@remix-run/node";
import { getCaller } from "./caller.server";
import { sessionCookie } from "./cookies.server";

/**
 * Share pages rendered in the last few seconds, sent again without rendering. Rendering the
 * dashboard (about 70 KB of HTML) is most of what a share page costs, and a link posted somewhere
 * busy is opened by many people with the same address at once.
 *
 * What stays per request: the router checks access (unknown or deleted link, password unlock) and
 * confirms the link still shows the same site and segment before a page is reused, and counts the
 * view; every response gets its own CSP nonce. What may be older: the figures, by at most
 * PAGE_TTL_MS on top of the stats memory's (2 s for periods that include today, 10 s for others). Anyone with a session cookie bypasses this both
 * ways, because the page names who is signed in.
 */
const PAGE_TTL_MS = 1_000;
const MAX_PAGES = 100;
const SHARE_PATH = /^\/share\/[A-Za-z0-9_-]{21}$/;

interface Offer {
  slug: string;
  version: string;
}

interface Page extends Offer {
  /** The document (UTF-8) split at its render's nonce, so each response can carry its own. */
  parts: Buffer[];
  headers: [name: string, parts: string[]][];
  expires: number;
}

const offers = new WeakMap<AppLoadContext, Offer>();
const pages = new Map<string, Page>();

const keyOf = (url: URL) => url.pathname + url.search;
const signedIn = (request: Request) => (request.headers.get("Cookie") ?? "").includes(`${sessionCookie.name}=`);

/** The share loader's word that this request's page shows only `share.stats` data for `slug`. */
export function offerSharePage(request: Request, context: AppLoadContext, offer: Offer): void {
  if (!signedIn(request)) offers.set(context, offer);
}

export function isSharePageOffered(context: AppLoadContext): boolean {
  return offers.has(context);
}

/** Called with the whole rendered document of a request whose loader offered its page. */
export function keepSharePage(request: Request, context: AppLoadContext, status: number, headers: Headers, html: string): void {
  const offer = offers.get(context);
  if (!offer || status !== 200 || headers.has("Set-Cookie")) return;
  const nonce = context.cspNonce;
  const key = keyOf(new URL(request.url));
  pages.delete(key);
  pages.set(key, {
    ...offer,
    parts: html.split(nonce).map((part) => Buffer.from(part)),
    headers: [...headers].map(([name, value]) => [name, value.split(nonce)]),
    expires: Date.now() + PAGE_TTL_MS,
  });
  while (pages.size > MAX_PAGES) pages.delete(pages.keys().next().value!);
}

/** This request's page if one was rendered moments ago and may be shown again; null means render it. */
export async function cachedSharePage(request: Request, context: AppLoadContext): Promise<{ headers: Record<string, string>; body: Buffer } | null> {
  const url = new URL(request.url);
  if (request.method !== "GET" || !SHARE_PATH.test(url.pathname)) return null;
  const key = keyOf(url);
  const page = pages.get(key);
  if (!page || signedIn(request)) return null;
  if (page.expires <= Date.now()) {
    pages.delete(key);
    return null;
  }
  const caller = await getCaller(request, context);
  // A refusal (deleted link, no unlock) or an outage is left to the page itself to answer.
  const revisit = await caller.share.revisit({ slug: page.slug, version: page.version }).catch(() => null);
  if (!revisit) return null;
  if (!revisit.current) {
    pages.delete(key);
    return null;
  }
  const nonce = context.cspNonce;
  const nonceBytes = Buffer.from(nonce);
  return {
    headers: Object.fromEntries(page.headers.map(([name, parts]) => [name, parts.join(nonce)])),
    body: Buffer.concat(page.parts.flatMap((part, i) => (i === 0 ? [part] : [nonceBytes, part]))),
  };
}
