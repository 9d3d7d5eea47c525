import { randomBytes } from "node:crypto";
import type { Db } from "../../db/client.js";
import { ensureUser } from "../auth/users.js";
import { refreshStatistics } from "../ingest/salts.js";
import { env } from "../env.js";
import { createGoal, listGoals } from "../goals/goals.js";
import type { Filter } from "../schemas/filters.js";
import { createSegment, listSegments } from "../segments/segments.js";
import { createLink, listLinks, shareUrl } from "../shared-links/links.js";
import { addMember } from "../sites/sites.js";
import { generateTraffic } from "./traffic.js";
import { addDays, addMonths, localDay } from "../dates.js";

/**
 * Demo credentials, printed by the seed and listed in the README. Demo data only: in production the
 * seed makes up random passwords instead, so no deployment has an account anyone can look up.
 */
export const DEMO = {
  email: "demo@glimpse.local",
  password: "demo-password-2026",
  domain: "demo.glimpse.local",
  timezone: "Europe/Berlin",
  segment: "Mobile visitors",
  openLink: "Public dashboard",
  protectedLink: "Client A",
  protectedLinkPassword: "client-a-password",
  scopedLink: "Investor update",
} as const;

const MOBILE: Filter[] = [{ dimension: "device", operator: "is", values: ["Mobile"] }];
/** The demo traffic sends Signup events with a plan; about one visit in eight sees /pricing. */
const DEMO_GOALS = [
  { kind: "event" as const, eventName: "Signup", name: "Signup" },
  { kind: "page" as const, pagePath: "/pricing", name: "Visit /pricing" },
  { kind: "page" as const, pagePath: "/blog/*", name: "Read a blog post" },
];
const BATCH = 1000;

export interface SeedOptions {
  log: (line: string) => void;
  now?: Date;
  /** Random passwords instead of the published ones; production always gets them. */
  randomPasswords?: boolean;
  /** Days of traffic (91 by default; tests that need only the accounts ask for fewer). */
  days?: number;
}

const randomPassword = () => randomBytes(18).toString("base64url");

/**
 * Idempotent: each piece (user, site with its traffic, segment, links) is created only when
 * missing. The site and all of its traffic go in one transaction, so an interrupted seed leaves
 * no half-filled site behind for the next run to skip.
 */
export async function seedDemo(db: Db, { log, now = new Date(), randomPasswords = env().production, days }: SeedOptions) {
  const password = randomPasswords ? randomPassword() : DEMO.password;
  const linkPassword = randomPasswords ? randomPassword() : DEMO.protectedLinkPassword;
  const existed = await db.selectFrom("users").select("id").where("email", "=", DEMO.email).executeTakeFirst();
  const user = await ensureUser(db, DEMO.email, password);
  let site = await db.selectFrom("sites").select(["id", "domain"]).where("domain", "=", DEMO.domain).executeTakeFirst();
  if (site) {
    log(`Demo site ${DEMO.domain} already exists; leaving its data as it is.`);
  } else {
    site = await seedSite(db, user.id, now, log, days);
    await refreshStatistics(db);
  }
  await addMember(db, site.id, user.id, "owner");

  const segment =
    (await listSegments(db, site.id)).find((s) => s.name === DEMO.segment) ??
    (await createSegment(db, site.id, user.id, { name: DEMO.segment, filters: MOBILE }));
  const goals = await listGoals(db, site.id);
  for (const goal of DEMO_GOALS) {
    if (!goals.some((g) => g.name === goal.name)) await createGoal(db, site.id, goal);
  }
  const actor = { userId: user.id, integration: false };
  const links = await listLinks(db, site.id);
  const open = links.find((l) => l.name === DEMO.openLink) ?? (await createLink(db, site.id, actor, { name: DEMO.openLink }));
  const locked =
    links.find((l) => l.name === DEMO.protectedLink) ??
    (await createLink(db, site.id, actor, { name: DEMO.protectedLink, password: linkPassword, segmentId: segment.id }));
  const linkCreated = !links.some((l) => l.name === DEMO.protectedLink);
  // A link with a scope: last month only, the headline cards, no filters, CSV allowed.
  const lastMonth = previousMonth(localDay(now, DEMO.timezone));
  const scoped =
    links.find((l) => l.name === DEMO.scopedLink) ??
    (await createLink(db, site.id, actor, {
      name: DEMO.scopedLink,
      dateBounds: { kind: "fixed", ...lastMonth },
      visibleSections: ["series", "page", "source", "country"],
      allowFilters: false,
      allowExport: true,
    }));

  const info = {
    loginUrl: `${env().publicUrl}/login`,
    email: DEMO.email,
    /** Null when the account existed already: its password is whatever it was. */
    password: existed ? null : password,
    dashboardUrl: `${env().publicUrl}/sites/${DEMO.domain}`,
    openLinkUrl: shareUrl(open.slug),
    protectedLinkUrl: shareUrl(locked.slug),
    scopedLinkUrl: shareUrl(scoped.slug),
  };
  log(`Demo ready. Log in at ${info.loginUrl} as ${info.email}${info.password ? ` / ${info.password}` : " (existing account, password unchanged)"}`);
  log(`  Dashboard:                 ${info.dashboardUrl}`);
  log(`  Shared link (open):        ${info.openLinkUrl}`);
  log(`  Shared link (Client A):    ${info.protectedLinkUrl}  ${linkCreated ? `password: ${linkPassword}, ` : ""}segment: ${DEMO.segment}`);
  log(`  Shared link (scoped):      ${info.scopedLinkUrl}  last month only, 4 sections, no filters, CSV download`);
  return info;
}

function previousMonth(today: string): { from: string; to: string } {
  const firstOfThis = `${today.slice(0, 7)}-01`;
  return { from: addMonths(firstOfThis, -1), to: addDays(firstOfThis, -1) };
}

async function seedSite(db: Db, userId: string, now: Date, log: SeedOptions["log"], days?: number) {
  const started = Date.now();
  return db.transaction().execute(async (trx) => {
    const site = await trx
      .insertInto("sites")
      .values({ domain: DEMO.domain, timezone: DEMO.timezone })
      .returning(["id", "domain"])
      .executeTakeFirstOrThrow();
    await addMember(trx, site.id, userId, "owner");
    const traffic = generateTraffic(site.id, DEMO.timezone, now, days);
    const total = traffic.visits.length + traffic.events.length;
    let written = 0;
    let reported = 0;
    const progress = (n: number) => {
      written += n;
      if (written - reported >= total / 10 || written === total) {
        reported = written;
        log(`Seeding demo traffic: ${Math.round((written / total) * 100)}% (${traffic.events.length} events, ${traffic.visits.length} visits)`);
      }
    };
    for (let i = 0; i < traffic.visits.length; i += BATCH) {
      const rows = traffic.visits.slice(i, i + BATCH);
      await trx.insertInto("visits").values(rows).execute();
      progress(rows.length);
    }
    for (let i = 0; i < traffic.events.length; i += BATCH) {
      const rows = traffic.events.slice(i, i + BATCH);
      await trx.insertInto("events").values(rows).execute();
      progress(rows.length);
    }
    log(`Seeded ${traffic.events.length} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return site;
  });
}

/** First start of an empty embedded database: give people something to look at. */
export async function seedIfEmpty(db: Db, log: (line: string) => void): Promise<boolean> {
  const anyone = await db.selectFrom("users").select("id").limit(1).executeTakeFirst();
  if (anyone) return false;
  await seedDemo(db, { log });
  return true;
}
