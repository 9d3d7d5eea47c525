// The database side of the HTTP form fuzz: a scoped checksum of every table (what changed, and
// whose rows), and the live objects (sites, links, segments, keys…) the generated inputs refer to.
import { randomBytes, randomUUID } from "node:crypto";

/**
 * Tables a request may legitimately write whatever its outcome, left out of the comparison (the
 * same list as test/fuzz/snapshot.ts, plus one cache):
 * - `rate_limit_hits`: failed logins and unlocks are counted on purpose (that is the rate limit);
 * - `sessions`: logins create them, logout deletes one, and a session used in the second half of
 *   its life is extended on every request;
 * - `visitor_salts`: ingestion creates the day's salt before it looks at the site;
 * - `stats_day_cache`: filled by reads (dashboard loaders), never by a form;
 * - `link_usage_daily`, `link_viewers`: share page views, flushed from memory by a timer;
 * - `link_failed_unlocks`: wrong passwords by hour, like the rate limit (and gone with a deleted link).
 */
const SKIPPED_TABLES = new Set(["rate_limit_hits", "sessions", "visitor_salts", "stats_day_cache", "link_usage_daily", "link_viewers", "link_failed_unlocks"]);

/**
 * Columns that change on purpose outside the request being checked. Those in the "" group are not
 * compared at all; any other group is an entry of its own that a request may be allowed to change:
 * - `shared_links.view_count`/`last_viewed_at` are flushed from memory by a timer, at any moment;
 * - `api_keys.last_used_at` is stamped when a key authenticates;
 * - the unlock counters of `shared_links` count wrong passwords on the link (SPEC §3).
 */
const SPLIT_COLUMNS = {
  shared_links: { "shared_links.unlock_counters": ["failed_unlock_count", "last_failed_unlock_at"], "": ["view_count", "last_viewed_at"] },
  api_keys: { "": ["last_used_at"] },
};

/** Whose rows: each table is summed per site or per user, so a write can be pinned to its owner. */
const SCOPE = {
  users: "id",
  api_keys: "user_id",
  sites: "id",
  site_memberships: "site_id",
  site_invitations: "site_id",
  segments: "site_id",
  shared_links: "site_id",
  link_audit: "site_id",
  // Digest settings are summed per link; the targets map a link to its site (fuzz-targets.mjs).
  link_digests: "link_id",
  digest_recipients: "link_id",
  events: "site_id",
  visits: "site_id",
  imports: "site_id",
};

/** Rows of an import (its upload, its imported days) are summed per site through their import. */
const IMPORT_SCOPED = new Set([
  "import_uploads",
  "imported_visitors",
  "imported_sources",
  "imported_pages",
  "imported_entry_pages",
  "imported_exit_pages",
  "imported_custom_events",
  "imported_locations",
  "imported_devices",
  "imported_browsers",
  "imported_operating_systems",
]);

/** Row count and md5 of the sorted rows per (table or column group, scope): "table|scope" → "n:md5". */
export class Snapshotter {
  constructor(sql) {
    this.sql = sql;
    this.query = null;
  }

  async #plan() {
    const rows = await this.sql`
      select table_name, column_name from information_schema.columns
      where table_schema = 'public' order by table_name, ordinal_position`;
    const tables = new Map();
    for (const { table_name: table, column_name: column } of rows) {
      if (SKIPPED_TABLES.has(table)) continue;
      tables.set(table, [...(tables.get(table) ?? []), column]);
    }
    const parts = [];
    const part = (name, table, columns) => {
      const row = `row(${columns.map((c) => `"${c}"`).join(", ")})::text`;
      const scope = SCOPE[table];
      if (IMPORT_SCOPED.has(table)) {
        const own = `row(${columns.map((c) => `t."${c}"`).join(", ")})::text`;
        const sum = `count(*)::int8 || ':' || coalesce(md5(string_agg(${own}, E'\\n' order by ${own})), '')`;
        parts.push(`select '${name}|' || i.site_id::text as name, ${sum} as sum from "${table}" t join imports i on i.id = t.import_id group by i.site_id`);
        return;
      }
      const sum = `count(*)::int8 || ':' || coalesce(md5(string_agg(${row}, E'\\n' order by ${row})), '')`;
      parts.push(
        scope
          ? `select '${name}|' || "${scope}"::text as name, ${sum} as sum from "${table}" group by "${scope}"`
          : `select '${name}|' as name, ${sum} as sum from "${table}"`,
      );
    };
    for (const [table, columns] of tables) {
      const groups = SPLIT_COLUMNS[table] ?? {};
      const split = new Set(Object.values(groups).flat());
      part(table, table, columns.filter((c) => !split.has(c)));
      for (const [name, group] of Object.entries(groups)) if (name) part(name, table, [SCOPE[table], "id", ...group]);
    }
    return parts.join("\nunion all\n");
  }

  async take() {
    this.query ??= await this.#plan();
    const rows = await this.sql.unsafe(this.query);
    return new Map(rows.map((r) => [r.name, r.sum]));
  }
}

/** The entries that differ: { table, scope, isNew, gone }. */
export function changes(before, after) {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names]
    .filter((name) => before.get(name) !== after.get(name))
    .map((name) => {
      const [table, scope] = name.split("|");
      return { name, table, scope, isNew: !before.has(name), gone: !after.has(name) };
    });
}

const pick = (list, i) => (list.length ? list[i % list.length] : undefined);

/**
 * The objects in the database, re-read after every request that changed something, and the
 * resolution of the generated references ({ ref: "link:own", i: 3 }) against them.
 */
export class World {
  /** @param {{ ownDomain: string, otherDomain: string, actors: Record<string, { userId?: string, email?: string }> }} options */
  constructor(sql, { ownDomain, otherDomain, actors, accountPassword }) {
    this.sql = sql;
    this.ownDomain = ownDomain;
    this.otherDomain = otherDomain;
    this.actors = actors;
    this.accountPassword = accountPassword;
    this.pool = [];
    this.linkPasswords = new Set();
    this.fresh = 0;
  }

  async refresh() {
    const [sites, memberships, users, links, segments, keys, recipients, invitations, imports] = await Promise.all([
      this.sql`select id::text, domain from sites`,
      this.sql`select site_id::text, user_id::text, role from site_memberships`,
      this.sql`select id::text, email from users`,
      this.sql`select id::text, site_id::text, slug, password_hash is not null as "protected" from shared_links order by created_at, id`,
      this.sql`select id::text, site_id::text from segments order by created_at, id`,
      this.sql`select id::text, user_id::text from api_keys where revoked_at is null order by created_at, id`,
      this.sql`select r.id::text, r.unsubscribe_token as token, l.site_id::text from digest_recipients r join shared_links l on l.id = r.link_id order by r.created_at, r.id`,
      this.sql`select id::text, site_id::text from site_invitations order by created_at, id`,
      this.sql`select id::text, site_id::text from imports order by created_at, id`,
    ]);
    Object.assign(this, { sites, memberships, users, links, segments, keys, recipients, invitations, imports });
    this.ownSiteId = sites.find((s) => s.domain === this.ownDomain)?.id;
    this.otherSiteId = sites.find((s) => s.domain === this.otherDomain)?.id;
  }

  /** The site a route parameter names, the way requireSite finds it. */
  siteIdOf(domainParam) {
    if (typeof domainParam !== "string") return undefined;
    const domain = domainParam.trim().toLowerCase();
    return this.sites.find((s) => s.domain === domain)?.id;
  }

  roleOf(userId, domainParam) {
    const siteId = this.siteIdOf(domainParam);
    if (!userId || !siteId) return null;
    return this.memberships.find((m) => m.site_id === siteId && m.user_id === userId)?.role ?? null;
  }

  /** A generated value with its references replaced by live values. */
  resolve(value, actor) {
    if (value === null || typeof value !== "object" || !("ref" in value)) return value;
    const resolved = String(this.#resolve(value, actor));
    if (!value.poison) return resolved;
    const [p, at] = value.poison;
    const i = at % (resolved.length + 1);
    return resolved.slice(0, i) + p + resolved.slice(i);
  }

  #resolve({ ref, i }, actor) {
    const own = (list) => list.filter((x) => x.site_id === this.ownSiteId);
    const others = (list) => list.filter((x) => x.site_id !== this.ownSiteId);
    const uuid = () => randomUUID();
    switch (ref) {
      case "link:own":
        return pick(own(this.links), i)?.id ?? uuid();
      case "link:other":
        return pick(others(this.links), i)?.id ?? uuid();
      case "segment:own":
        return pick(own(this.segments), i)?.id ?? uuid();
      case "segment:other":
        return pick(others(this.segments), i)?.id ?? uuid();
      case "member:own":
        return pick(this.memberships.filter((m) => m.site_id === this.ownSiteId), i)?.user_id ?? uuid();
      case "invitation:own":
        return pick(own(this.invitations), i)?.id ?? uuid();
      case "invitation:other":
        return pick(others(this.invitations), i)?.id ?? uuid();
      case "user:any":
        return pick(this.users, i)?.id ?? uuid();
      case "apikey:self":
        return pick(this.keys.filter((k) => k.user_id === actor?.userId), i)?.id ?? uuid();
      case "apikey:other":
        return pick(this.keys.filter((k) => k.user_id !== actor?.userId), i)?.id ?? uuid();
      case "import:own":
        return pick(own(this.imports), i)?.id ?? uuid();
      case "import:other":
        return pick(others(this.imports), i)?.id ?? uuid();
      case "recipient:own":
        return pick(own(this.recipients), i)?.id ?? uuid();
      case "recipient:other":
        return pick(others(this.recipients), i)?.id ?? uuid();
      case "token:recipient":
        return pick(this.recipients, i)?.token ?? randomBytes(24).toString("base64url");
      case "slug:open":
        return pick(own(this.links).filter((l) => !l.protected), i)?.slug ?? randomBytes(16).toString("base64url").slice(0, 21);
      case "slug:protected":
        return pick(own(this.links).filter((l) => l.protected), i)?.slug ?? randomBytes(16).toString("base64url").slice(0, 21);
      case "slug:other":
        return pick(others(this.links), i)?.slug ?? randomBytes(16).toString("base64url").slice(0, 21);
      case "slug:random":
        return randomBytes(16).toString("base64url").slice(0, 21);
      case "email:pool":
        return pick(this.pool, i) ?? "nobody@fuzz.test";
      case "email:self":
        return actor?.email ?? "anonymous@fuzz.test";
      case "email:owner":
        return this.actors.owner.email;
      case "email:any": {
        const email = pick(this.users, i)?.email ?? "nobody@fuzz.test";
        return i % 3 === 0 ? email.toUpperCase() : email;
      }
      case "email:fresh":
        return `fresh${++this.fresh}.${i}@fuzz.test`;
      case "domain:fresh":
        return `f${++this.fresh}-${i}.fuzz.test`;
      case "domain:taken": {
        const domain = pick(this.sites, i)?.domain ?? this.ownDomain;
        return [domain, domain.toUpperCase(), `https://www.${domain}/path`, ` ${domain}.`][i % 4];
      }
      case "site:other":
        return this.otherSiteId ?? uuid();
      case "uuid:random":
        return uuid();
      case "uuid:anyObject":
        return pick([...this.links, ...this.segments, ...this.sites, ...this.users, ...this.keys], i)?.id ?? uuid();
      case "password:account":
        return this.accountPassword;
      case "password:link":
        return pick([...this.linkPasswords], i) ?? this.accountPassword;
      default:
        throw new Error(`unknown reference ${ref}`);
    }
  }
}
