import type { Db } from "../../db/client.js";
import { createApiKey } from "../../server/auth/api-keys.js";
import { createCaller } from "../../server/root.js";
import type { Filter } from "../../server/schemas/filters.js";
import type { Unlocks } from "../../server/share/access.js";
import { anonymous, member, signedIn, siteOwnedBy } from "../support/actors.js";
import type { Actor } from "./harness.js";
import { flushEvents, testContext } from "../support/services.js";

export const DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
export const LINK_PASSWORD = "Client-A password 1";
/** What `signedIn` gives every test account. */
export const ACCOUNT_PASSWORD = "correct horse battery staple";

const MOBILE: Filter[] = [{ dimension: "device", operator: "is", values: ["Mobile"] }];
const PRICING: Filter[] = [{ dimension: "page", operator: "contains", values: ["pricing"] }];

/**
 * A small but real world: an owner's site with traffic, segments and links (open, protected,
 * segmented), a viewer of that site, an outsider who owns another site with its own segment and
 * link, API keys, and anonymous visitors, with and without an unlock for the protected link.
 */
export async function buildWorld(db: Db) {
  const owner = await signedIn(db, "owner");
  const site = await siteOwnedBy(db, owner.user.id, "shop.example");
  const viewer = await member(db, site.id, "viewer");
  const outsider = await signedIn(db, "outsider");
  const otherSite = await siteOwnedBy(db, outsider.user.id, "other.example");

  for (let i = 0; i < 6; i++) {
    const tracker = createCaller(testContext({ db, ip: `203.0.113.${i}`, userAgent: DESKTOP }));
    await tracker.events.ingest({ name: "pageview", url: `https://shop.example/${i % 2 ? "pricing" : ""}?utm_source=fuzz`, domain: "shop.example", referrer: "https://google.com/" });
  }
  await flushEvents(db);

  const own = (name: string, filters = MOBILE) => owner.caller.segments.create({ site: site.domain, name, filters });
  const mobile = await own("Mobile");
  const pricing = await own("Pricing", PRICING);
  const spare = await own("Spare");
  const foreignSegment = await outsider.caller.segments.create({ site: otherSite.domain, name: "Theirs", filters: MOBILE });

  const link = (name: string, extra: Omit<Parameters<typeof owner.caller.sharedLinks.create>[0], "site" | "name"> = {}) =>
    owner.caller.sharedLinks.create({ site: site.domain, name, ...extra });
  const open = await link("Open");
  const locked = await link("Locked", { password: LINK_PASSWORD });
  const segmented = await link("Segmented", { segmentId: mobile.id });
  const spareLink = await link("Spare link");
  // Links whose scope every share procedure must apply: bounded, narrowed, exported, paused.
  const scoped = await link("Scoped", {
    dateBounds: { kind: "fixed", from: "2026-01-01", to: "2026-03-31" },
    visibleSections: ["series", "page", "country"],
    allowFilters: false,
    allowExport: true,
  });
  const since = await link("Since", { dateBounds: { kind: "since", from: "2026-11-01" }, allowPeriodChange: false, allowExport: true, segmentId: mobile.id });
  const paused = await link("Paused", { paused: true, password: LINK_PASSWORD });
  const foreignLink = await outsider.caller.sharedLinks.create({ site: otherSite.domain, name: "Theirs" });

  const key = await createApiKey(db, owner.user.id, { name: "Fuzz key" });
  const integrationKey = await createApiKey(db, owner.user.id, { name: "Integration key", integration: true });
  const spareKeys = await Promise.all([1, 2, 3].map((i) => createApiKey(db, owner.user.id, { name: `Spare key ${i}` })));
  const foreignKey = await createApiKey(db, outsider.user.id, { name: "Their key" });

  const unlock = await anonymous(db, "192.0.2.200").share.unlock({ slug: locked.slug, password: LINK_PASSWORD });
  const unlocks: Unlocks = { [locked.slug]: { f: unlock.fingerprint, e: Math.floor(Date.parse(unlock.expiresAt) / 1000) } };
  const f = unlock.fingerprint;
  const tampered: Unlocks = { [locked.slug]: { f: `${f.slice(0, -1)}${f.endsWith("A") ? "B" : "A"}`, e: 2 ** 40 }, [open.slug]: { f: "", e: -1 } };
  // A new context per call, as every HTTP request gets: contexts memoise per-request lookups.
  const visitor = (name: string, ip: string, extra: Partial<Parameters<typeof testContext>[0]> = {}): Actor => ({
    name,
    get caller() {
      // Refused calls are answered at once here: the fuzz suite is refused hundreds of times on purpose.
      return createCaller(testContext({ db, ip, userAgent: DESKTOP, ...extra, pauses: false }));
    },
  });

  const actors = {
    owner: { name: "owner", get caller() { return owner.caller; } },
    viewer: { name: "viewer of the site", get caller() { return viewer.caller; } },
    outsider: { name: "owner of another site", get caller() { return outsider.caller; } },
    anonymous: visitor("anonymous", "198.51.100.1"),
    apiKey: visitor("owner's API key", "198.51.100.2", { apiKey: key.key }),
    integration: visitor("owner's integration key", "198.51.100.3", { apiKey: integrationKey.key }),
    unlocked: visitor("visitor holding the unlock", "198.51.100.4", { unlocks }),
    tampered: visitor("visitor with a forged unlock", "198.51.100.5", { unlocks: tampered }),
  } satisfies Record<string, Actor>;

  return {
    owner,
    domain: site.domain,
    otherDomain: otherSite.domain,
    actors,
    segments: { mobile: mobile.id, pricing: pricing.id, spare: spare.id, foreign: foreignSegment.id },
    links: { open, locked, segmented, spare: spareLink, foreign: foreignLink, scoped, since, paused },
    keys: { own: key.apiKey.id, spare: spareKeys.map((k) => k.apiKey.id), foreign: foreignKey.apiKey.id },
  };
}

export type World = Awaited<ReturnType<typeof buildWorld>>;

/** The three kinds of caller the brief names, plus API keys: site procedures get all of them. */
export const siteActors = (w: World): Actor[] => [w.actors.owner, w.actors.owner, w.actors.viewer, w.actors.outsider, w.actors.anonymous, w.actors.apiKey];
