import type { Transaction } from "kysely";
import { jsonb } from "../../db/json.js";
import type { Database, SharedLink } from "../../db/schema.js";
import { boundsOf, originsOf, sectionsOf } from "./link-scope.js";

/** What the trail keeps of a link: enough to answer "who changed what", never a secret or the slug. */
function snapshot(link: SharedLink) {
  return {
    name: link.name,
    hasPassword: link.password_hash !== null,
    passwordChangedAt: link.password_changed_at?.toISOString() ?? null,
    segmentId: link.segment_id,
    integration: link.integration,
    expiresAt: link.expires_at?.toISOString() ?? null,
    paused: link.paused_at !== null,
    dateBounds: boundsOf(link),
    visibleSections: sectionsOf(link.visible_sections),
    allowPeriodChange: link.allow_period_change,
    allowFilters: link.allow_filters,
    allowExport: link.allow_export,
    embedOrigins: originsOf(link.embed_origins),
  };
}

export async function writeAudit(
  trx: Transaction<Database>,
  entry: { action: "create" | "update" | "delete"; actorId: string; before?: SharedLink; after?: SharedLink },
): Promise<void> {
  const link = entry.after ?? entry.before!;
  await trx
    .insertInto("link_audit")
    .values({
      link_id: link.id,
      site_id: link.site_id,
      actor_user_id: entry.actorId,
      action: entry.action,
      before: entry.before ? jsonb(snapshot(entry.before)) : null,
      after: entry.after ? jsonb(snapshot(entry.after)) : null,
    })
    .execute();
}
