import type { GlimpseClient } from "../../server/client.js";

type Link = Awaited<ReturnType<GlimpseClient["sharedLinks"]["list"]["query"]>>[number];

export interface AuditFinding {
  site: string;
  link: string;
  url: string;
  problems: string[];
}

const DAY = 24 * 3600_000;

/**
 * What deserves a second look: an open link without password (or expiry), no recent views, a
 * segment edited after the link was made, links expired or paused (delete them if done).
 */
export function auditLinks(site: string, links: Link[], unusedDays: number, now = new Date()): AuditFinding[] {
  const findings: AuditFinding[] = [];
  for (const link of links) {
    const problems: string[] = [];
    if (!link.hasPassword && link.state === "active") problems.push("no password", ...(link.expiresAt ? [] : ["never expires"]));
    if (link.state === "expired" && link.expiresAt) problems.push(`expired ${Math.floor((now.getTime() - Date.parse(link.expiresAt)) / DAY)} days ago`);
    if (link.state === "paused" && link.pausedAt) problems.push(`paused for ${Math.floor((now.getTime() - Date.parse(link.pausedAt)) / DAY)} days`);
    if (!link.lastViewedAt) {
      if (now.getTime() - Date.parse(link.createdAt) > unusedDays * DAY) problems.push(`never viewed in ${Math.floor((now.getTime() - Date.parse(link.createdAt)) / DAY)} days`);
      else problems.push("never viewed");
    } else if (now.getTime() - Date.parse(link.lastViewedAt) > unusedDays * DAY) {
      problems.push(`not viewed for ${Math.floor((now.getTime() - Date.parse(link.lastViewedAt)) / DAY)} days`);
    }
    if (link.segment?.updatedAt && Date.parse(link.segment.updatedAt) > Date.parse(link.createdAt)) {
      problems.push(`segment “${link.segment.name}” changed since the link was created`);
    }
    if (problems.length > 0) findings.push({ site, link: link.name, url: link.url, problems });
  }
  return findings;
}
