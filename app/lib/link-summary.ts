import { SECTIONS } from "../../server/schemas/link-scope.js";
import type { SharedLinkDto } from "../../server/shared-links/links.js";
import { formatDay, formatRange } from "../../server/schemas/display.js";

/** "Active", "Paused", "Expired", or "Expires in 3 days" for an active link with an expiry. */
export function linkStateLabel(link: Pick<SharedLinkDto, "state" | "expiresAt">, now: Date, timezone: string): string {
  if (link.state === "paused") return "Paused";
  if (link.state === "expired") return "Expired";
  if (!link.expiresAt) return "Active";
  const ms = Date.parse(link.expiresAt) - now.getTime();
  const hours = ms / 3600_000;
  if (hours < 1) return `Expires in ${Math.max(1, Math.round(ms / 60_000))} min`;
  if (hours < 48) return `Expires in ${Math.round(hours)} hours`;
  if (hours < 24 * 60) return `Expires in ${Math.round(hours / 24)} days`;
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(link.expiresAt));
  return `Expires ${formatDay(day)}`;
}

/** One line: what the link limits, in the order a reader cares about; "" when it limits nothing. */
export function linkScopeSummary(link: Pick<SharedLinkDto, "dateBounds" | "visibleSections" | "allowPeriodChange" | "allowFilters" | "allowExport">): string {
  const parts: string[] = [];
  const b = link.dateBounds;
  if (b?.kind === "fixed") parts.push(formatRange(b.from, b.to));
  else if (b?.kind === "since") parts.push(`from ${formatDay(b.from)}`);
  else if (!link.allowPeriodChange) parts.push("last 30 days");
  if (link.visibleSections.length < SECTIONS.length) parts.push(`${link.visibleSections.length} of ${SECTIONS.length} sections`);
  if (b?.kind !== "fixed" && !link.allowPeriodChange && b) parts.push("period fixed");
  if (!link.allowFilters) parts.push("no filters");
  if (link.allowExport) parts.push("CSV download");
  return parts.join(" · ");
}
