import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { jsonb } from "../../db/json.js";
import { Conflict, Invalid, isForeignKeyViolation, isUniqueViolation, NotFound } from "../errors.js";
import { goalDefinitions } from "../goals/goals.js";
import type { Filter } from "../schemas/filters.js";

export interface SegmentDto {
  id: string;
  name: string;
  filters: Filter[];
  createdAt: string;
  updatedAt: string;
  /** Shared links that show this segment; a segment in use cannot be deleted. */
  usedBy: { id: string; name: string }[];
}

const columns = ["segments.id", "segments.name", "segments.filters", "segments.created_at", "segments.updated_at"] as const;

export async function listSegments(db: Db, siteId: string): Promise<SegmentDto[]> {
  const rows = await db.selectFrom("segments").select(columns).where("site_id", "=", siteId).orderBy(sql`lower(name)`).execute();
  const usage = await linksUsing(db, siteId, rows.map((r) => r.id));
  return rows.map((row) => toDto(row, usage.get(row.id) ?? []));
}

export async function getSegment(db: Db, siteId: string, id: string): Promise<SegmentDto> {
  const row = await db.selectFrom("segments").select(columns).where("site_id", "=", siteId).where("id", "=", id).executeTakeFirst();
  if (!row) throw new NotFound("Segment not found for this site");
  const usage = await linksUsing(db, siteId, [id]);
  return toDto(row, usage.get(id) ?? []);
}

export async function createSegment(db: Db, siteId: string, userId: string, input: { name: string; filters: Filter[] }) {
  await assertGoalsExist(db, siteId, input.filters);
  try {
    const row = await db
      .insertInto("segments")
      .values({ site_id: siteId, name: input.name, filters: jsonb(input.filters), created_by: userId })
      .returning(columns)
      .executeTakeFirstOrThrow();
    return toDto(row, []);
  } catch (error) {
    throw nameTaken(error, input.name);
  }
}

export async function updateSegment(db: Db, siteId: string, input: { id: string; name?: string; filters?: Filter[] }) {
  if (input.filters) await assertGoalsExist(db, siteId, input.filters);
  try {
    const row = await db
      .updateTable("segments")
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.filters !== undefined && { filters: jsonb(input.filters) }),
        updated_at: new Date(),
      })
      .where("site_id", "=", siteId)
      .where("id", "=", input.id)
      .returning(columns)
      .executeTakeFirst();
    if (!row) throw new NotFound("Segment not found for this site");
    const usage = await linksUsing(db, siteId, [row.id]);
    return toDto(row, usage.get(row.id) ?? []);
  } catch (error) {
    throw nameTaken(error, input.name ?? "");
  }
}

/**
 * The database refuses to delete a segment that links use (ON DELETE RESTRICT): dropping the filter
 * would publish data meant to stay hidden, and deleting the links would break URLs people hold.
 */
export async function deleteSegment(db: Db, siteId: string, id: string) {
  try {
    const row = await db.deleteFrom("segments").where("site_id", "=", siteId).where("id", "=", id).returning(["id", "name"]).executeTakeFirst();
    if (!row) throw new NotFound("Segment not found for this site");
    return row;
  } catch (error) {
    if (!isForeignKeyViolation(error, "shared_links_segment_fkey")) throw error;
    const links = (await linksUsing(db, siteId, [id])).get(id) ?? [];
    const names = links.map((l) => `“${l.name}”`).join(", ");
    const noun = links.length === 1 ? "shared link" : "shared links";
    throw new Conflict(`This segment is used by the ${noun} ${names}. Change or delete ${links.length === 1 ? "that link" : "those links"} first.`);
  }
}

/** A goal filter names goals of this site; a name that matches none is a typo, not a filter. */
async function assertGoalsExist(db: Db, siteId: string, filters: Filter[]) {
  const named = filters.flatMap((f, i) => (f.dimension === "goal" ? [{ i, values: f.values }] : []));
  if (named.length === 0) return;
  const known = new Set((await goalDefinitions(db, siteId)).map((g) => g.name.toLowerCase()));
  for (const { i, values } of named) {
    const missing = values.find((v) => !known.has(v.toLowerCase()));
    if (missing !== undefined) throw new Invalid(`No goal named “${missing}” on this site. Add it under Goals first.`, `filters.${i}.values`);
  }
}

/** The filters a link must always apply; null when the link shows all data. */
export async function segmentFilters(db: Db, siteId: string, id: string): Promise<{ name: string; filters: Filter[] } | null> {
  const row = await db.selectFrom("segments").select(["name", "filters"]).where("site_id", "=", siteId).where("id", "=", id).executeTakeFirst();
  return row ? { name: row.name, filters: row.filters as Filter[] } : null;
}

async function linksUsing(db: Db, siteId: string, segmentIds: string[]) {
  const usage = new Map<string, { id: string; name: string }[]>();
  if (segmentIds.length === 0) return usage;
  const rows = await db
    .selectFrom("shared_links")
    .select(["id", "name", "segment_id"])
    .where("site_id", "=", siteId)
    .where("segment_id", "in", segmentIds)
    .orderBy("name")
    .execute();
  for (const row of rows) {
    const list = usage.get(row.segment_id!) ?? [];
    list.push({ id: row.id, name: row.name });
    usage.set(row.segment_id!, list);
  }
  return usage;
}

function nameTaken(error: unknown, name: string) {
  if (isUniqueViolation(error, "segments_site_name_key")) {
    return new Conflict(`A segment named “${name}” already exists for this site`, "name");
  }
  return error;
}

function toDto(
  row: { id: string; name: string; filters: unknown; created_at: Date; updated_at: Date },
  usedBy: { id: string; name: string }[],
): SegmentDto {
  return {
    id: row.id,
    name: row.name,
    filters: row.filters as Filter[],
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    usedBy,
  };
}
