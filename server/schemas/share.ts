import { z } from "zod";
import { DIMENSIONS } from "./filters.js";
import { SECTIONS } from "./link-scope.js";
import { statsQuery } from "./stats.js";

/** Any malformed slug simply finds no link, exactly like an unknown one (see findLink). */
const slug = z.string({ error: "This shared link does not exist or was deleted" });

export const shareRefInput = z.strictObject({ slug });

export const unlockInput = z.strictObject({
  slug,
  // Not trimmed and no policy: the password is whatever the admin set, compared exactly.
  password: z.string({ error: "Enter the password" }).min(1, "Enter the password").max(1024, "Incorrect password. Please try again."),
});

/** A signed embed token (sharedLinks.createEmbedToken): opens the link in a frame, without a cookie. */
const token = z.string({ error: "The embed token must be text" }).max(4096, "This embedded dashboard is no longer available. Reload the page that shows it.").optional();

/** A view names its link by slug, by an embed token, or both (a token's own link must be the slug's). */
const named = <T extends { slug?: string; token?: string }>(input: T) => input.slug !== undefined || input.token !== undefined;
const NAMED = { message: "This shared link does not exist or was deleted", path: ["slug"] };

/** A recipient chooses the period and may add filters; the link's segment is never part of the input. */
export const shareStatsInput = z.strictObject({ slug: slug.optional(), ...statsQuery, token }).refine(named, NAMED);

/** `version` is what `share.stats` returned with the page being shown again. */
export const shareRevisitInput = z.strictObject({ slug, version: z.string({ error: "Give the version share.stats returned" }).max(64) });

export const shareBreakdownInput = z
  .strictObject({
    slug: slug.optional(),
    ...statsQuery,
    dimension: z.enum(DIMENSIONS, { error: "Choose a dimension from the list" }),
    limit: z.number().int().min(1).max(100).default(100),
    token,
  })
  .refine(named, NAMED);

/** `part` names one table (a section, "totals" or "goals"); without it, every table the view shows. */
export const shareExportInput = z
  .strictObject({
    slug: slug.optional(),
    ...statsQuery,
    part: z.enum(["totals", "goals", ...SECTIONS], { error: `Choose a part: totals, goals or ${SECTIONS.join(", ")}` }).optional(),
    token,
  })
  .refine(named, NAMED);
