import type { Db } from "../../db/client.js";

export interface IngestSite {
  id: string;
  domain: string;
  timezone: string;
}

/**
 * Sites by domain, remembered for a while: a busy site sends thousands of events a second, and
 * looking its row up for each would be most of the database's work. A site that does not exist
 * is remembered for less time, so a site created a moment after its first event starts counting
 * soon. A deleted site's events that were accepted meanwhile are dropped when the batch is written.
 */
const FOUND_MS = 30_000;
const MISSING_MS = 5_000;
const MAX_DOMAINS = 10_000;

interface Entry {
  site: IngestSite | null;
  until: number;
}

/** This process's remembered sites, by domain. */
export class SiteLookup {
  private readonly known = new Map<string, Entry>();

  constructor(private readonly db: Db) {}

  async byDomain(domain: string, now = Date.now()): Promise<IngestSite | null> {
    const known = this.known;
    const hit = known.get(domain);
    if (hit && hit.until > now) return hit.site;
    const site = (await this.db.selectFrom("sites").select(["id", "domain", "timezone"]).where("domain", "=", domain).executeTakeFirst()) ?? null;
    known.delete(domain);
    known.set(domain, { site, until: now + (site ? FOUND_MS : MISSING_MS) });
    // Oldest first: a flood of made-up domains pushes out only other made-up domains' entries soon.
    if (known.size > MAX_DOMAINS) known.delete(known.keys().next().value!);
    return site;
  }
}
