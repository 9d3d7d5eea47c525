import { z } from "zod";
import { siteRef } from "./common.js";

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOSTNAME = new RegExp(`^(?:${LABEL}\\.)+[a-z][a-z0-9-]{0,62}$`);

/** Accepts what people paste (a URL, WWW, capitals) and keeps the bare host name. */
export function normaliseDomain(input: string): string {
  let d = input.trim().toLowerCase();
  d = d.replace(/^[a-z][a-z0-9+.-]*:\/\//, "");
  d = d.split(/[/?#]/)[0] ?? "";
  d = d.replace(/:\d+$/, "").replace(/\.$/, "").replace(/^www\./, "");
  return d;
}

let zones: Set<string> | undefined;
export function timezones(): string[] {
  const list = Intl.supportedValuesOf("timeZone");
  return list.includes("UTC") ? list : ["UTC", ...list];
}
export function isTimezone(tz: string): boolean {
  zones ??= new Set(timezones());
  return zones.has(tz);
}

export const domain = z
  .string({ error: "Domain is required" })
  .max(300, "Domain must be at most 253 characters")
  .transform(normaliseDomain)
  .pipe(
    z
      .string()
      .min(1, "Domain is required")
      .max(253, "Domain must be at most 253 characters")
      .regex(HOSTNAME, "Enter a domain name like example.com, without https:// or a path"),
  );

export const createSiteInput = z.strictObject({
  domain,
  timezone: z
    .string({ error: "Timezone is required" })
    .min(1, "Timezone is required")
    .max(64, "Choose a timezone from the list")
    .refine(isTimezone, "Choose a timezone from the list"),
});

export const siteInput = z.strictObject({ site: siteRef });
