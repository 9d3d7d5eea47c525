import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";

import { signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { CountryDatabaseError, countryOf } from "./countries.js";
import { callerAt, UA } from "../../test/support/ingest.js";
import { dashboardAt, flushEvents } from "../../test/support/services.js";

describe("countries from the address", () => {
  it("places public addresses, IPv4, IPv6 and IPv4 written as IPv6", () => {
    expect(countryOf("8.8.8.8")).toBe("US");
    expect(countryOf("80.128.0.1")).toBe("DE");
    expect(countryOf("200.160.2.3")).toBe("BR");
    expect(countryOf("133.1.1.1")).toBe("JP");
    expect(countryOf("2003::1")).toBe("DE");
    expect(countryOf("::ffff:80.128.0.1")).toBe("DE");
  });

  it("gives no country to documentation, private, loopback and other reserved addresses, or to anything else", () => {
    for (const address of ["192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "127.0.0.1", "::1", "fe80::1", "fd00::1", "0.0.0.0", "::ffff:192.168.1.1", "unknown", "", "999.1.1.1", "8.8.8.8; drop table"]) {
      expect(countryOf(address), address).toBe("");
    }
  });

  it("reads the user's own database when GEOIP_DATABASE names one", () => {
    // The package's IPv6-only file: same records, no IPv4 networks, so the answer shows which file was read.
    const ipv6Only = createRequire(import.meta.url).resolve("@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country-ipv6.mmdb");
    expect(countryOf("2003::1", ipv6Only)).toBe("DE");
    expect(countryOf("80.128.0.1", ipv6Only)).toBe("");
    expect(countryOf("80.128.0.1")).toBe("DE");
  });

  it("says which file it could not read", () => {
    const dir = mkdtempSync(join(tmpdir(), "glimpse-geoip-"));
    const notMmdb = join(dir, "countries.mmdb");
    writeFileSync(notMmdb, "not a database");
    expect(() => countryOf("8.8.8.8", join(dir, "missing.mmdb"))).toThrow(CountryDatabaseError);
    expect(() => countryOf("8.8.8.8", notMmdb)).toThrow(/countries\.mmdb could not be read as an MMDB/);
  });
});

describe("events without a proxy header", () => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb();
  });

  it("land under their address's country, and a trusted proxy's header still wins", async () => {
    const owner = await signedIn(db, "countries-owner");
    const site = await siteOwnedBy(db, owner.user.id, "countries.example");
    const at = "2026-05-20T10:00:00Z";
    const send = (ip: string, country?: string) =>
      callerAt(at, { db, ip, userAgent: UA.windowsChrome, ...(country ? { country } : {}) }).events.ingest({ name: "pageview", url: `https://${site.domain}/`, domain: site.domain, referrer: null });
    await send("80.128.0.1");
    await send("2003::7");
    await send("8.8.4.4", "FR");
    await send("192.0.2.10");
    await flushEvents(db);
    const stats = await dashboardAt(db, { id: site.id, domain: site.domain, timezone: "UTC" }, { period: { key: "custom", from: "2026-05-20", to: "2026-05-20" }, filters: [], now: new Date(at), cache: false });
    const countries = stats.breakdowns.find((b) => b.dimension === "country")!.rows.map((r) => [r.value, r.visitors]);
    expect(countries).toEqual(expect.arrayContaining([["DE", 2], ["FR", 1], ["", 1]]));
    expect(countries).toHaveLength(3);
    // The address is not kept anywhere.
    const row = await db.selectFrom("events").selectAll().where("site_id", "=", site.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain("80.128.0.1");
  });
});
