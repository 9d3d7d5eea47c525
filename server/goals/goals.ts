import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import type { Goal } from "../../db/schema.js";
import { Conflict, isUniqueViolation, NotFound } from "../errors.js";
import { defaultGoalName, type GoalKind } from "../schemas/goals.js";

/** What the stats need of a goal: who it is and what it matches. */
export interface GoalDefinition {
  id: string;
  name: string;
  kind: GoalKind;
  /** The event name (kind "event") or the page path pattern (kind "page"). */
  match: string;
}

export interface GoalDto extends GoalDefinition {
  eventName: string | null;
  pagePath: string | null;
  createdAt: string;
  updatedAt: string;
  /** Segments that filter on this goal; a goal in use cannot be deleted or renamed. */
  usedBy: { id: string; name: string }[];
}

const byName = sql`lower(name)`;

/**
 * Every dashboard computation needs the site's goals before anything else; they change rarely, so
 * each process keeps them a few seconds (changes made here are seen at once, changes made by
 * another instance within GOALS_TTL_MS, as figures are: see stats/recent.ts).
 */
const GOALS_TTL_MS = 5_000;
const remembered = new Map<string, { at: number; goals: Promise<GoalDefinition[]> }>();

/** The site's goals in name order, as the stats use them. */
export function goalDefinitions(db: Db, siteId: string, now = Date.now()): Promise<GoalDefinition[]> {
  const hit = remembered.get(siteId);
  if (hit && now - hit.at < GOALS_TTL_MS) return hit.goals;
  const goals = db
    .selectFrom("goals")
    .selectAll()
    .where("site_id", "=", siteId)
    .orderBy(byName)
    .orderBy("id")
    .execute()
    .then((rows) => rows.map(definitionOf));
  remembered.set(siteId, { at: now, goals });
  goals.catch(() => remembered.delete(siteId));
  if (remembered.size > 1000) remembered.delete(remembered.keys().next().value!);
  return goals;
}

const changed = (siteId: string) => remembered.delete(siteId);

export async function listGoals(db: Db, siteId: string): Promise<GoalDto[]> {
  const rows = await db.selectFrom("goals").selectAll().where("site_id", "=", siteId).orderBy(byName).orderBy("id").execute();
  const usage = await segmentsUsing(db, siteId);
  return rows.map((row) => toDto(row, usage.get(row.name.toLowerCase()) ?? []));
}

export async function getGoal(db: Db, siteId: string, id: string): Promise<GoalDto> {
  const row = await db.selectFrom("goals").selectAll().where("site_id", "=", siteId).where("id", "=", id).executeTakeFirst();
  if (!row) throw new NotFound("Goal not found for this site");
  return toDto(row, (await segmentsUsing(db, siteId)).get(row.name.toLowerCase()) ?? []);
}

export async function createGoal(db: Db, siteId: string, input: { kind: GoalKind; eventName?: string; pagePath?: string; name?: string }) {
  const name = input.name ?? defaultGoalName(input);
  try {
    const row = await db
      .insertInto("goals")
      .values({
        site_id: siteId,
        kind: input.kind,
        event_name: input.kind === "event" ? input.eventName! : null,
        page_path: input.kind === "page" ? input.pagePath! : null,
        name,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    changed(siteId);
    return toDto(row, []);
  } catch (error) {
    // A default name ("Signup") collides with the goal that already matches the same event: say
    // that, which is the real problem, rather than that the name is taken.
    if (input.name === undefined && isUniqueViolation(error, "goals_site_name_key") && (await matching(db, siteId, input))) throw matchTaken(input);
    throw taken(error, { ...input, name });
  }
}

async function matching(db: Db, siteId: string, goal: { kind: GoalKind; eventName?: string; pagePath?: string }) {
  const match = goal.kind === "event" ? goal.eventName : goal.pagePath;
  return db
    .selectFrom("goals")
    .select("id")
    .where("site_id", "=", siteId)
    .where("kind", "=", goal.kind)
    .where(goal.kind === "event" ? "event_name" : "page_path", "=", match ?? "")
    .executeTakeFirst();
}

/**
 * Segments filter on a goal by its name, so a goal that segments use keeps its name: renaming it
 * would silently turn those filters into ones that match nothing.
 */
export async function updateGoal(db: Db, siteId: string, input: { id: string; eventName?: string; pagePath?: string; name?: string }) {
  const before = await getGoal(db, siteId, input.id);
  if (input.eventName !== undefined && before.kind !== "event") throw new Conflict("A pageview goal has no event name", "eventName");
  if (input.pagePath !== undefined && before.kind !== "page") throw new Conflict("A custom event goal has no page path", "pagePath");
  const name = input.name;
  if (name !== undefined && name !== before.name && before.usedBy.length > 0) {
    throw new Conflict(`${inUse(before)} Keep its name, or change ${before.usedBy.length === 1 ? "that segment" : "those segments"} first.`, "name");
  }
  try {
    const row = await db
      .updateTable("goals")
      .set({
        ...(input.eventName !== undefined && { event_name: input.eventName }),
        ...(input.pagePath !== undefined && { page_path: input.pagePath }),
        ...(name !== undefined && { name }),
        updated_at: new Date(),
      })
      .where("site_id", "=", siteId)
      .where("id", "=", input.id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFound("Goal not found for this site");
    changed(siteId);
    return toDto(row, before.usedBy);
  } catch (error) {
    throw taken(error, { kind: before.kind, eventName: input.eventName ?? before.eventName ?? undefined, pagePath: input.pagePath ?? before.pagePath ?? undefined, name: name ?? before.name });
  }
}

/** Refused while segments filter on the goal: they would quietly start matching nothing. */
export async function deleteGoal(db: Db, siteId: string, id: string) {
  const goal = await getGoal(db, siteId, id);
  if (goal.usedBy.length > 0) throw new Conflict(`${inUse(goal)} Change or delete ${goal.usedBy.length === 1 ? "that segment" : "those segments"} first.`);
  const row = await db.deleteFrom("goals").where("site_id", "=", siteId).where("id", "=", id).returning(["id", "name"]).executeTakeFirst();
  if (!row) throw new NotFound("Goal not found for this site");
  changed(siteId);
  return row;
}

function inUse(goal: GoalDto): string {
  const names = goal.usedBy.map((s) => `“${s.name}”`).join(", ");
  return `This goal is used by the ${goal.usedBy.length === 1 ? "segment" : "segments"} ${names}.`;
}

/** Segments of the site by the (lower-cased) goal names their filters name. */
async function segmentsUsing(db: Db, siteId: string): Promise<Map<string, { id: string; name: string }[]>> {
  const rows = await sql<{ id: string; name: string; goal: string }>`
    select distinct s.id, s.name, lower(v.value) as goal
    from segments s, jsonb_array_elements(s.filters) f, jsonb_array_elements_text(f->'values') v
    where s.site_id = ${siteId} and f->>'dimension' = 'goal'
    order by s.name`.execute(db);
  const usage = new Map<string, { id: string; name: string }[]>();
  for (const row of rows.rows) usage.set(row.goal, [...(usage.get(row.goal) ?? []), { id: row.id, name: row.name }]);
  return usage;
}

function taken(error: unknown, goal: { kind: GoalKind; eventName?: string; pagePath?: string; name: string }) {
  if (isUniqueViolation(error, "goals_site_name_key")) return new Conflict(`A goal named “${goal.name}” already exists for this site`, "name");
  if (isUniqueViolation(error, "goals_site_match_key")) return matchTaken(goal);
  return error;
}

function matchTaken(goal: { kind: GoalKind; eventName?: string; pagePath?: string }) {
  return goal.kind === "event"
    ? new Conflict(`A goal for the event “${goal.eventName}” already exists for this site`, "eventName")
    : new Conflict(`A goal for the path “${goal.pagePath}” already exists for this site`, "pagePath");
}

function definitionOf(row: Goal): GoalDefinition {
  return { id: row.id, name: row.name, kind: row.kind, match: (row.kind === "event" ? row.event_name : row.page_path) ?? "" };
}

function toDto(row: Goal, usedBy: { id: string; name: string }[]): GoalDto {
  return {
    ...definitionOf(row),
    eventName: row.event_name,
    pagePath: row.page_path,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    usedBy,
  };
}
