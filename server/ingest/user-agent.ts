import Bowser from "bowser";
import { isbot } from "isbot";

export interface Client {
  device: string;
  browser: string;
  os: string;
}

const DEVICES: Record<string, string> = { desktop: "Desktop", mobile: "Mobile", tablet: "Tablet" };

/** Shorter names for the browsers whose official names don't fit a table cell. */
const BROWSERS: Record<string, string> = {
  "Microsoft Edge": "Edge",
  "Samsung Internet for Android": "Samsung Internet",
  "Internet Explorer": "IE",
};

/** bowser (MIT) keeps up with new user agents so this file doesn't have to. Unknown parts are "". */
export function parseUserAgent(userAgent: string): Client {
  const parsed = Bowser.parse(userAgent);
  const browser = parsed.browser.name ?? "";
  return {
    device: DEVICES[parsed.platform.type ?? ""] ?? "",
    browser: (BROWSERS[browser] ?? browser).slice(0, 100),
    os: (parsed.os.name ?? "").slice(0, 100),
  };
}

/**
 * Whether a user agent is a bot, and its client, remembered: a site's visitors share a few
 * hundred user agents, and both answers cost more than the rest of an event's checks together.
 */
const known = new Map<string, Client | null>();
const MAX_KNOWN = 2_000;

/** The visitor's client, or null for a bot (or no user agent at all). */
export function clientOf(userAgent: string): Client | null {
  const hit = known.get(userAgent);
  if (hit !== undefined) return hit;
  const client = !userAgent || isbot(userAgent) ? null : parseUserAgent(userAgent);
  if (known.size >= MAX_KNOWN) known.clear();
  known.set(userAgent, client);
  return client;
}
