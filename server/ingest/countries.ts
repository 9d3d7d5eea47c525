import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import ipaddr from "ipaddr.js";
import { Reader, type Response } from "mmdb-lib";

/**
 * The country of a visitor's address, looked up in a country database (MMDB) in memory; the
 * address itself is never stored. By default the open database shipped as an npm package
 * (whois and ASN data of the five regional internet registries, CC BY 4.0 by the NRO, credited in
 * the README); GEOIP_DATABASE names another file instead, such as MaxMind's GeoLite2 Country or
 * DB-IP's country lite database.
 */

/** The shipped file's record is `{ country_code }`; GeoLite2 and DB-IP files give `{ country: { iso_code } }`. */
interface CountryRecord {
  country_code?: string;
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
}

const SHIPPED = "@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb";
const CODE = /^[A-Z]{2}$/;

export class CountryDatabaseError extends Error {
  override name = "CountryDatabaseError";
}

let opened: { path: string | undefined; reader: Reader<Response> } | undefined;

/** Reads the database once; a file that is missing or not an MMDB is an error a person can act on. */
export function openCountries(path?: string): Reader<Response> {
  if (opened && opened.path === path) return opened.reader;
  const file = path ?? createRequire(import.meta.url).resolve(SHIPPED);
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(readFileSync(file));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CountryDatabaseError(`GEOIP_DATABASE: ${file} could not be read as an MMDB country database (${why})`);
  }
  opened = { path, reader };
  return reader;
}

/**
 * The country a trusted proxy reports in `headerName` (TRUSTED_PROXY_COUNTRY_HEADER), or "": two
 * letters, and not "XX" (the proxy's "unknown"). It wins over the address's lookup.
 */
export function proxyCountry(headerName: string | undefined, header: (name: string) => string | null | undefined): string {
  const country = headerName ? (header(headerName) ?? "").toUpperCase() : "";
  return CODE.test(country) && country !== "XX" ? country : "";
}

/**
 * A visitor sends several events in a row, each needing the same lookup (parsing the address
 * and walking the tree cost a few percent of an event). Kept in memory only, for the last
 * addresses seen, like the per-address limits; nothing of it is written anywhere.
 */
const RECENT_MAX = 10_000;
let recent: { path: string | undefined; codes: Map<string, string> } = { path: undefined, codes: new Map() };

/**
 * Two letters, or "" for an address no database may place: private, loopback, link-local,
 * carrier-grade NAT, documentation and other reserved ranges (the shipped data has wrong
 * entries for some of them), and anything that is not an address.
 */
export function countryOf(address: string, path?: string): string {
  if (recent.path !== path) recent = { path, codes: new Map() };
  const known = recent.codes.get(address);
  if (known !== undefined) return known;
  const code = lookUp(address, path);
  if (recent.codes.size >= RECENT_MAX) recent.codes.clear();
  recent.codes.set(address, code);
  return code;
}

function lookUp(address: string, path?: string): string {
  if (!ipaddr.isValid(address)) return "";
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  if (parsed.range() !== "unicast") return "";
  const record = openCountries(path).get(parsed.toString()) as CountryRecord | null;
  const code = (record?.country_code ?? record?.country?.iso_code ?? record?.registered_country?.iso_code ?? "").toUpperCase();
  return CODE.test(code) ? code : "";
}
