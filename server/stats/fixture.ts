import type { Db } from "../../db/client.js";
import { UA, callerAt } from "../ingest/testing.js";
import { flushEvents } from "../ingest/buffer.js";

/**
 * A small, hand-countable week for a site in America/New_York (UTC−4 after 8 March 2026), sent
 * through events.ingest. Expected figures in the tests are worked out from this list by hand:
 *
 *   A1 Alice  03-10 10:00–10:21  / → /pricing → /signup (+ Signup event)  Google      DE Desktop Chrome Windows
 *   A2 Alice  03-10 11:00        /blog/hello (39 min idle: new visit)    newsletter  DE Desktop Chrome Windows
 *   B1 Bob    03-10 23:50        /blog/hello                              X/Twitter   US Mobile Safari iOS
 *   B2 Bob    03-11 00:10–00:15  / → /pricing (new day: new visitor id)  Direct      US Mobile Safari iOS
 *   C1 Carol  03-11 09:00–09:40  / → /docs → /pricing (30 min exactly)   Hacker News GB Tablet Safari iOS
 *   D1 Dave   03-12 11:58        / (two minutes before NOW)               Direct      —  Mobile Chrome Android
 *   Googlebot 03-10, dropped.
 */
export const NOW = new Date("2026-03-12T16:00:00Z");
export const TIMEZONE = "America/New_York";

const alice = { ip: "198.51.100.1", userAgent: UA.windowsChrome, country: "DE" };
const bob = { ip: "198.51.100.2", userAgent: UA.iphoneSafari, country: "US" };
const carol = { ip: "198.51.100.3", userAgent: UA.ipadSafari, country: "GB" };
const dave = { ip: "198.51.100.4", userAgent: UA.androidChrome, country: "" };
const bot = { ip: "198.51.100.9", userAgent: UA.googlebot, country: "US" };

type Who = typeof alice;
const EVENTS: [Who, string, string, string, string?][] = [
  [alice, "2026-03-10T14:00:00Z", "pageview", "/", "https://www.google.com/"],
  [alice, "2026-03-10T14:05:00Z", "pageview", "/pricing", "SITE/"],
  [alice, "2026-03-10T14:20:00Z", "pageview", "/signup", "SITE/pricing"],
  [alice, "2026-03-10T14:21:00Z", "Signup", "/signup"],
  [bot, "2026-03-10T14:30:00Z", "pageview", "/"],
  [alice, "2026-03-10T15:00:00Z", "pageview", "/blog/hello?utm_source=newsletter&utm_medium=email&utm_campaign=launch"],
  [bob, "2026-03-11T03:50:00Z", "pageview", "/blog/hello", "https://t.co/abc"],
  [bob, "2026-03-11T04:10:00Z", "pageview", "/"],
  [bob, "2026-03-11T04:15:00Z", "pageview", "/pricing", "SITE/"],
  [carol, "2026-03-11T13:00:00Z", "pageview", "/", "https://news.ycombinator.com/item?id=1"],
  [carol, "2026-03-11T13:10:00Z", "pageview", "/docs", "SITE/"],
  [carol, "2026-03-11T13:40:00Z", "pageview", "/pricing", "SITE/docs"],
  [dave, "2026-03-12T15:58:00Z", "pageview", "/", "SITE/elsewhere"],
];

export async function ingestFixture(db: Db, domain: string) {
  for (const [who, at, name, path, referrer] of EVENTS) {
    const caller = callerAt(at, { db, ...who });
    await caller.events.ingest({
      name,
      url: `https://${domain}${path}`,
      domain,
      referrer: referrer?.replace("SITE", `https://${domain}`) ?? null,
    });
  }
  await flushEvents(db);
}
