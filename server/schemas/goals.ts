import { z } from "zod";
import { charLength, id, isStorableText, siteRef, text } from "./common.js";

export const GOAL_KINDS = ["event", "page"] as const;
export type GoalKind = (typeof GOAL_KINDS)[number];

export const GOAL_KIND_LABELS: Record<GoalKind, string> = { event: "Custom event", page: "Pageview" };

/** A path to match pageviews against: `*` matches any run of characters, `/` included. */
export const pagePath = z
  .string({ error: "Page path is required" })
  .trim()
  .min(1, "Page path is required")
  .refine((s) => s.startsWith("/"), "A page path starts with /, such as /pricing or /blog/*")
  .refine((s) => charLength(s) <= 2000, "A page path must be at most 2000 characters")
  .refine(isStorableText, "A page path cannot contain control characters");

/** As custom events arrive: the `name` of the tracker's payload. */
export const eventName = text("Event name", 120, "sent").refine((s) => s !== "pageview", "“pageview” is every page view: add a pageview goal with a path instead");

const goalName = text("Name", 120);

export const createGoalInput = z
  .strictObject({
    site: siteRef,
    kind: z.enum(GOAL_KINDS, { error: "Choose a custom event or a pageview goal" }),
    eventName: eventName.optional(),
    pagePath: pagePath.optional(),
    /** Shown on dashboards and used in filters; defaults to the event name or "Visit /path". */
    name: goalName.optional(),
  })
  .superRefine((goal, ctx) => {
    if (goal.kind === "event" && goal.eventName === undefined) ctx.addIssue({ code: "custom", path: ["eventName"], message: "Event name is required" });
    if (goal.kind === "page" && goal.pagePath === undefined) ctx.addIssue({ code: "custom", path: ["pagePath"], message: "Page path is required" });
    if (goal.kind === "event" && goal.pagePath !== undefined) ctx.addIssue({ code: "custom", path: ["pagePath"], message: "A custom event goal has no page path" });
    if (goal.kind === "page" && goal.eventName !== undefined) ctx.addIssue({ code: "custom", path: ["eventName"], message: "A pageview goal has no event name" });
  });

/** The kind stays; what it matches and its name may change. */
export const updateGoalInput = z.strictObject({
  site: siteRef,
  id: id("Goal"),
  eventName: eventName.optional(),
  pagePath: pagePath.optional(),
  name: goalName.optional(),
});

export const goalRefInput = z.strictObject({ site: siteRef, id: id("Goal") });

export const listGoalsInput = z.strictObject({ site: siteRef });

/** The name a goal gets when none is given. */
export function defaultGoalName(goal: { kind: GoalKind; eventName?: string | null; pagePath?: string | null }): string {
  return goal.kind === "event" ? (goal.eventName ?? "") : `Visit ${goal.pagePath ?? ""}`;
}
