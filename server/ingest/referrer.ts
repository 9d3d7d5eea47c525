/**
 * Where a visit came from, named the way people talk about it ("Google", not "www.google.co.uk").
 * Hosts are matched after dropping "www." and "m."; anything unknown keeps its host name.
 */
const HOSTS: [RegExp, string][] = [
  [/^(.+\.)?google(\.[a-z]{2,3}){1,2}$/, "Google"],
  [/^(.+\.)?bing\.com$/, "Bing"],
  [/^(.+\.)?duckduckgo\.com$/, "DuckDuckGo"],
  [/^(.+\.)?yahoo\.(com|co\.[a-z]{2}|[a-z]{2})$/, "Yahoo!"],
  [/^(.+\.)?yandex\.[a-z.]+$/, "Yandex"],
  [/^(.+\.)?baidu\.com$/, "Baidu"],
  [/^(.+\.)?ecosia\.org$/, "Ecosia"],
  [/^(t\.co|(.+\.)?twitter\.com|(.+\.)?x\.com)$/, "X/Twitter"],
  [/^((.+\.)?facebook\.com|fb\.me|fb\.com)$/, "Facebook"],
  [/^(.+\.)?instagram\.com$/, "Instagram"],
  [/^((.+\.)?linkedin\.com|lnkd\.in)$/, "LinkedIn"],
  [/^((.+\.)?reddit\.com|redd\.it)$/, "Reddit"],
  [/^(.+\.)?github\.com$/, "GitHub"],
  [/^news\.ycombinator\.com$/, "Hacker News"],
  [/^((.+\.)?youtube\.com|youtu\.be)$/, "YouTube"],
  [/^(.+\.)?producthunt\.com$/, "Product Hunt"],
  [/^(.+\.)?bsky\.app$/, "Bluesky"],
];

/** Common spellings of utm_source (and ?ref=) for the same places. */
const NAMES: Record<string, string> = {
  google: "Google",
  bing: "Bing",
  duckduckgo: "DuckDuckGo",
  twitter: "X/Twitter",
  x: "X/Twitter",
  "t.co": "X/Twitter",
  facebook: "Facebook",
  fb: "Facebook",
  linkedin: "LinkedIn",
  reddit: "Reddit",
  github: "GitHub",
  hn: "Hacker News",
  hackernews: "Hacker News",
  "hacker news": "Hacker News",
  "news.ycombinator.com": "Hacker News",
  youtube: "YouTube",
  instagram: "Instagram",
  producthunt: "Product Hunt",
  bluesky: "Bluesky",
};

const MAX_LENGTH = 300;
// Postgres text cannot hold NUL; other control characters would only garble the dashboard.
const CONTROL = /[\u0000-\u001f\u007f]/g;

export const clean = (value: string, max = MAX_LENGTH) => value.replace(CONTROL, "").trim().slice(0, max);

const bareHost = (host: string) => host.toLowerCase().replace(/^(www|m|mobile)\./, "");

/** Sources of hosts seen lately: a few hosts send most visits, and each unknown one is tested against every pattern. */
const sources = new Map<string, string>();

export function sourceOfHost(host: string): string {
  let source = sources.get(host);
  if (source === undefined) {
    const bare = bareHost(host);
    source = HOSTS.find(([pattern]) => pattern.test(bare))?.[1] ?? bare;
    if (sources.size >= 1_000) sources.clear();
    sources.set(host, source);
  }
  return source;
}

export interface Acquisition {
  referrer_source: string;
  referrer: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
}

const sameSite = (host: string, pageHost: string, siteDomain: string) => {
  const bare = bareHost(host);
  return bare === bareHost(pageHost) || bare === siteDomain || bare.endsWith(`.${siteDomain}`);
};

/**
 * Source, referrer and UTM tags of one page load. A referrer from the site itself is internal
 * navigation, not a source; utm_source (or ?ref=) overrides the referrer because the site owner
 * tagged the link on purpose.
 */
export function acquisitionOf(pageUrl: URL, referrer: string, siteDomain: string): Acquisition {
  // Most page URLs carry no query, and reading searchParams builds a parser for it.
  const params = pageUrl.search ? pageUrl.searchParams : null;
  const utm = {
    utm_source: params ? clean(params.get("utm_source") ?? "") : "",
    utm_medium: params ? clean(params.get("utm_medium") ?? "") : "",
    utm_campaign: params ? clean(params.get("utm_campaign") ?? "") : "",
  };
  const external = externalReferrer(referrer, pageUrl, siteDomain);
  const tagged = utm.utm_source || (params ? clean(params.get("ref") ?? "") : "");
  const source = tagged ? (NAMES[tagged.toLowerCase()] ?? tagged) : external ? sourceOfHost(external.hostname) : "";
  const path = external && external.pathname !== "/" ? external.pathname.replace(/\/$/, "") : "";
  return { ...utm, referrer_source: source, referrer: external ? clean(`${bareHost(external.hostname)}${path}`, 2000) : "" };
}

/** The referrer when it is another site's web page, else null (none, not a URL, or this site). */
function externalReferrer(referrer: string, pageUrl: URL, siteDomain: string): URL | null {
  if (!referrer) return null;
  // Navigation within the page's own origin is most referrers, and needs no parsing: the origin
  // followed by "/" cannot be the start of another host's URL.
  if (referrer.startsWith(pageUrl.origin) && referrer.charCodeAt(pageUrl.origin.length) === 47) return null;
  let ref: URL;
  try {
    ref = new URL(referrer);
  } catch {
    return null;
  }
  return /^https?:$/.test(ref.protocol) && !sameSite(ref.hostname, pageUrl.hostname, siteDomain) ? ref : null;
}
