// The admin side of the share spec: one site, a "Mobile visitors" segment, a few links, and
// traffic ingested through /api/event so the segment restriction can be checked against counts.
import { addLink, addSegment, addSite, deleteLink, signUp } from "./admin-http.mjs";
import { Client, textOf } from "./http.mjs";
import { eventsWritten } from "./ingest.mjs";

export const UA = {
  mobile: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  desktop: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
};

/** Who visits: three phones and two desktops, each from its own address, with these pages. */
export const TRAFFIC = [
  { ua: UA.mobile, ip: "203.0.113.11", pages: ["/", "/pricing"] },
  { ua: UA.mobile, ip: "203.0.113.12", pages: ["/"] },
  { ua: UA.mobile, ip: "203.0.113.13", pages: ["/blog", "/blog/post", "/pricing"] },
  { ua: UA.desktop, ip: "203.0.113.21", pages: ["/", "/docs"] },
  { ua: UA.desktop, ip: "203.0.113.22", pages: ["/"] },
];

export const PASSWORDS = {
  protected: "open sesame, said Ali",
  other: "a different secret 42",
  brute: "brute force target pw",
  doomed: "short lived password",
  changed: "the replacement password",
};

/**
 * @returns {Promise<{ admin: Client, domain: string, segment: {id: string, name: string}, links: Record<string, {id: string, slug: string, name: string}>, deletedSlug: string, ingested: null | { visitors: number, pageviews: number, mobile: { visitors: number, pageviews: number } } }>}
 */
export async function setUpShareFixtures(baseUrl, domain) {
  const admin = new Client(baseUrl, { ip: "10.40.0.1" });
  await signUp(admin, `owner@${domain}`, "correct horse battery staple");
  await addSite(admin, domain);
  const segment = await addSegment(admin, domain, "Mobile visitors", [{ dimension: "device", operator: "is", value: "Mobile" }]);
  const links = {
    open: await addLink(admin, domain, { name: "Open link" }),
    protected: await addLink(admin, domain, { name: "Board deck", password: PASSWORDS.protected }),
    other: await addLink(admin, domain, { name: "Other protected", password: PASSWORDS.other }),
    segment: await addLink(admin, domain, { name: "Phones only", segmentId: segment.id }),
    protectedSegment: await addLink(admin, domain, { name: "Phones, protected", password: PASSWORDS.protected, segmentId: segment.id }),
    brute: await addLink(admin, domain, { name: "Brute target", password: PASSWORDS.brute }),
    doomed: await addLink(admin, domain, { name: "Doomed link", password: PASSWORDS.doomed }),
  };
  const gone = await addLink(admin, domain, { name: "Deleted before anyone looked" });
  await deleteLink(admin, domain, gone.id);
  return { admin, domain, segment, links, deletedSlug: gone.slug, ingested: await ingest(baseUrl, domain) };
}

/** Sends the traffic; null when the app has no /api/event route (the dashboards stay empty). */
async function ingest(baseUrl, domain) {
  let mobile = { visitors: 0, pageviews: 0 };
  let all = { visitors: 0, pageviews: 0 };
  for (const visitor of TRAFFIC) {
    const client = new Client(baseUrl, { ip: visitor.ip, headers: { "User-Agent": visitor.ua } });
    for (const page of visitor.pages) {
      const res = await client.request("/api/event", { json: { name: "pageview", url: `https://${domain}${page}`, domain, referrer: "" }, cookies: false });
      if (res.status === 404 || res.status === 405) return null;
      if (res.status !== 202) throw new Error(`/api/event answered ${res.status}: ${res.body}`);
    }
    all = { visitors: all.visitors + 1, pageviews: all.pageviews + visitor.pages.length };
    if (visitor.ua === UA.mobile) mobile = { visitors: mobile.visitors + 1, pageviews: mobile.pageviews + visitor.pages.length };
  }
  await eventsWritten();
  return { ...all, mobile };
}

/** The dashboard's totals as rendered: exact numbers from the title attribute when it is abbreviated. */
export function totalsOf(html) {
  if (/No visitors in this period yet|Nothing to show for this period/.test(html)) return { visitors: 0, pageviews: 0, empty: true };
  const metric = (label) => {
    const m = new RegExp(`<dt[^>]*>${label}</dt><dd[^>]*?(?:title="([^"]*)")?[^>]*>([^<]*)</dd>`).exec(html);
    if (!m) throw new Error(`no “${label}” on the page`);
    return Number((m[1] ?? m[2]).replace(/[^0-9.]/g, ""));
  };
  return { visitors: metric("Unique visitors"), pageviews: metric("Total pageviews"), empty: false };
}

export function isPasswordForm(html) {
  return /This dashboard is password protected/.test(html) && /name="password"/.test(html);
}

export function isDashboard(html, domain) {
  return new RegExp(`<h1 class="dash-site">${domain.replace(/\./g, "\\.")}</h1>`).test(html);
}

export { textOf };
