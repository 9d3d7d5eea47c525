import { nanoid } from "nanoid";
import type { Db } from "../../db/client.js";
import type { SharedLink } from "../../db/schema.js";
import { forUser, hashPassword } from "../auth/password.js";
import { env } from "../env.js";
import { Conflict, Forbidden, Invalid, isForeignKeyViolation, isUniqueViolation, NotFound } from "../errors.js";
import { isReservedLinkName } from "../schemas/shared-links.js";
import { writeAudit } from "./audit.js";
import { type ScopeInput, scopeColumns, scopeDto } from "./link-scope.js";

/** nanoid's default: 21 URL-safe characters from the CSPRNG, about 126 bits. Never taken from input. */
const newSlug = () => nanoid();

export interface Actor {
  userId: string;
  /** True only for API keys flagged as integrations: they alone may use reserved names. */
  integration: boolean;
}

export function shareUrl(slug: string): string {
  return `${env().publicUrl}/share/${slug}`;
}

/** An embed's address holds only its token, never the link's slug: the token's locks bind whoever reads it. */
export function embedUrl(token: string): string {
  return `${env().publicUrl}/embed/${token}`;
}

const selectLink = (db: Db) =>
  db
    .selectFrom("shared_links as l")
    .leftJoin("segments as s", (join) => join.onRef("s.id", "=", "l.segment_id").onRef("s.site_id", "=", "l.site_id"))
    .selectAll("l")
    .select(["s.name as segment_name", "s.updated_at as segment_updated_at"]);

type LinkRow = SharedLink & { segment_name: string | null; segment_updated_at: Date | null };

/** Every link of the site, integration links included: no link can exist that its admins cannot see. */
export async function listLinks(db: Db, siteId: string) {
  const rows = await selectLink(db).where("l.site_id", "=", siteId).orderBy("l.created_at", "desc").orderBy("l.name").execute();
  return rows.map((row) => toDto(row));
}

export async function getLink(db: Db, siteId: string, id: string) {
  const row = await selectLink(db).where("l.site_id", "=", siteId).where("l.id", "=", id).executeTakeFirst();
  if (!row) throw new NotFound("Shared link not found");
  return toDto(row);
}

export async function createLink(
  db: Db,
  siteId: string,
  actor: Actor,
  input: { name: string; password?: string; segmentId?: string | null; integration?: boolean } & ScopeInput,
) {
  if (input.integration && !actor.integration) {
    throw new Forbidden("Only an integration API key can create integration links");
  }
  if (isReservedLinkName(input.name) && !input.integration) throw reserved(input.name);
  const now = new Date();
  const scope = scopeColumns(input, null, now);
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password, forUser(actor.userId));
  try {
    const id = await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto("shared_links")
        .values({
          ...scope,
          site_id: siteId,
          name: input.name,
          slug: newSlug(),
          password_hash: passwordHash,
          password_changed_at: passwordHash ? now : null,
          segment_id: input.segmentId ?? null,
          integration: input.integration ?? false,
          created_by: actor.userId,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await writeAudit(trx, { action: "create", actorId: actor.userId, after: row });
      return row.id;
    });
    return getLink(db, siteId, id);
  } catch (error) {
    throw constraintError(error, input.name);
  }
}

export async function updateLink(
  db: Db,
  siteId: string,
  actor: Actor,
  input: { id: string; name?: string; password?: string | null; segmentId?: string | null } & ScopeInput,
) {
  const passwordHash = typeof input.password === "string" ? await hashPassword(input.password, forUser(actor.userId)) : input.password;
  try {
    await db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom("shared_links")
        .selectAll()
        .where("site_id", "=", siteId)
        .where("id", "=", input.id)
        .forUpdate()
        .executeTakeFirst();
      if (!before) throw new NotFound("Shared link not found");
      if (input.name !== undefined && isReservedLinkName(input.name) && !before.integration) throw reserved(input.name);
      const now = new Date();
      const after = await trx
        .updateTable("shared_links")
        .set({
          ...scopeColumns(input, before, now),
          ...(input.name !== undefined && { name: input.name }),
          // A new or removed password bumps password_changed_at, which revokes every earlier unlock.
          ...(passwordHash !== undefined && { password_hash: passwordHash, password_changed_at: now }),
          ...(input.segmentId !== undefined && { segment_id: input.segmentId }),
          updated_at: now,
        })
        .where("id", "=", before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await writeAudit(trx, { action: "update", actorId: actor.userId, before, after });
    });
    return getLink(db, siteId, input.id);
  } catch (error) {
    throw constraintError(error, input.name ?? "");
  }
}

/** Permanent and immediate: the slug answers 404 from the moment this commits. */
export async function deleteLink(db: Db, siteId: string, actor: Actor, id: string) {
  return db.transaction().execute(async (trx) => {
    const before = await trx.deleteFrom("shared_links").where("site_id", "=", siteId).where("id", "=", id).returningAll().executeTakeFirst();
    if (!before) throw new NotFound("Shared link not found");
    await writeAudit(trx, { action: "delete", actorId: actor.userId, before });
    return { id: before.id, name: before.name };
  });
}

function reserved(name: string) {
  return new Invalid(`“${name}” is a reserved name. Please choose another one`, "name");
}

/** Uniqueness and ownership are the database's to enforce; here they become messages. */
function constraintError(error: unknown, name: string) {
  if (isUniqueViolation(error, "shared_links_site_name_key")) {
    return new Conflict(`A shared link named “${name}” already exists for this site`, "name");
  }
  if (isForeignKeyViolation(error, "shared_links_segment_fkey")) {
    return new NotFound("Segment not found for this site", "segmentId");
  }
  return error;
}

export type SharedLinkDto = ReturnType<typeof toDto>;

function toDto(row: LinkRow, now = new Date()) {
  return {
    id: row.id,
    siteId: row.site_id,
    name: row.name,
    slug: row.slug,
    url: shareUrl(row.slug),
    hasPassword: row.password_hash !== null,
    passwordChangedAt: row.password_changed_at?.toISOString() ?? null,
    segment: row.segment_id ? { id: row.segment_id, name: row.segment_name ?? "", updatedAt: row.segment_updated_at?.toISOString() ?? null } : null,
    integration: row.integration,
    ...scopeDto(row, now),
    viewCount: row.view_count,
    lastViewedAt: row.last_viewed_at?.toISOString() ?? null,
    failedUnlockCount: row.failed_unlock_count,
    lastFailedUnlockAt: row.last_failed_unlock_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
