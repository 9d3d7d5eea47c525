// Countries with nothing to configure (issue 14): the e2e server sets no country header, so an
// event's country comes from its address (here the forwarded one, as behind a proxy). A segment of
// one country then restricts a shared link to the visitors from there, over plain HTTP.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { addLink, addSegment, addSite, signUp } from "../lib/admin-http.mjs";
import { config } from "../lib/browser.mjs";
import { Client } from "../lib/http.mjs";
import { eventsWritten } from "../lib/ingest.mjs";

const DOMAIN = `countries-js-${config.js}.example`;
const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const admin = new Client(config.baseUrl, { ip: `10.71.${config.js === "on" ? 1 : 2}.1` });
let slug;

/** A pageview from `ip`, as a visitor's browser sends it. */
async function visitFrom(ip, path) {
  const visitor = new Client(config.baseUrl, { ip, headers: { "User-Agent": CHROME } });
  const res = await visitor.request("/api/event", { json: { name: "pageview", url: `https://${DOMAIN}${path}`, domain: DOMAIN, referrer: null } });
  assert.equal(res.status, 202, res.body);
}

before(async () => {
  await signUp(admin, `countries-${config.js}@example.com`, "correct horse battery staple");
  await addSite(admin, DOMAIN);
  const segment = await addSegment(admin, DOMAIN, "Germany", [{ dimension: "country", operator: "is", value: "DE" }]);
  ({ slug } = await addLink(admin, DOMAIN, { name: "German visitors", segmentId: segment.id }));
  await visitFrom("80.128.0.1", "/from-germany");
  await visitFrom("2003::1", "/from-germany-v6");
  await visitFrom("8.8.8.8", "/from-the-us");
  await visitFrom("203.0.113.5", "/from-documentation");
  await eventsWritten();
});

describe(`countries from the address, JavaScript ${config.js}`, () => {
  it("shows a visitor from a German address under Germany, and a Germany link shows only them", async () => {
    const dashboard = await admin.get(`/sites/${DOMAIN}?period=today`);
    assert.equal(dashboard.status, 200);
    for (const country of ["Germany", "United States"]) assert.match(dashboard.body, new RegExp(country));

    const recipient = new Client(config.baseUrl, { ip: "10.71.9.9" });
    const share = await recipient.get(`/share/${slug}?period=today`);
    assert.equal(share.status, 200);
    assert.match(share.body, /\/from-germany</);
    assert.match(share.body, /\/from-germany-v6</);
    assert.match(share.body, /Germany/);
    assert.doesNotMatch(share.body, /from-the-us|from-documentation|United States/);
  });
});
