import { z } from "zod";

// Postgres text cannot hold NUL, and control characters in names only cause confusion.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Characters that change how the text around them is shown, or show nothing: the Unicode format
 * characters (direction marks, embeddings, overrides and isolates, zero-width spaces, the byte
 * order mark, soft hyphens), C1 controls, line and paragraph separators, and the Hangul fillers
 * that render blank. A name with a right-to-left override (U+202E) reads backwards in lists and
 * mail subjects, and one with a zero-width space looks like another (or like a reserved name), so
 * names refuse them. Joiners (U+200C, U+200D) and tag characters (U+E0020–E007F), which scripts,
 * emoji and flags need, stay.
 */
const INVISIBLE_FORMATTING = /(?![\u200c\u200d\u{e0020}-\u{e007f}])[\p{Cf}\u0080-\u009f\u2028\u2029\u115f\u1160\u3164\uffa0]/u;

/** A UTF-16 half without its other half cannot be stored as UTF-8; Postgres refuses it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text that Postgres can store: no NUL or other control characters, no broken Unicode. */
export const isStorableText = (s: string) => !CONTROL.test(s) && !LONE_SURROGATE.test(s);
export const isWellFormed = (s: string) => !LONE_SURROGATE.test(s);

/** Counts characters as people do (code points), like Postgres' char_length. */
export const charLength = (s: string) => [...s].length;

/**
 * A trimmed, single-line piece of text with a human message for each rule. Names people give
 * (links, segments, goals, keys, recipients) refuse invisible formatting; `sent` text that comes
 * from the sites themselves (event names, matched by goals) keeps it: right-to-left text carries
 * direction marks, and refusing them would drop real events.
 */
export function text(label: string, max: number, kind: "name" | "sent" = "name") {
  const base = z
    .string({ error: `${label} is required` })
    .trim()
    .min(1, `${label} is required`)
    .refine((s) => charLength(s) <= max, `${label} must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), `${label} cannot contain control characters`);
  const named = kind === "name" ? base.refine((s) => !INVISIBLE_FORMATTING.test(s), `${label} cannot contain invisible formatting characters (such as a right-to-left override)`) : base;
  return named.refine(isWellFormed, `${label} contains characters that are not valid text`);
}

export const id = (label: string) => z.uuid({ error: `${label} is not a valid id` });

/** Sites are addressed by their domain, as in the URLs of the admin pages. */
export const siteRef = z
  .string({ error: "Site is required" })
  .trim()
  .min(1, "Site is required")
  .max(253, "Site not found")
  .refine(isStorableText, "Site not found");

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

/** Passwords are neither trimmed nor case-folded: what the person typed is the password. */
export const password = z
  .string({ error: "Password is required" })
  .refine((s) => charLength(s) >= PASSWORD_MIN, `Password must be at least ${PASSWORD_MIN} characters`)
  .refine((s) => charLength(s) <= PASSWORD_MAX, `Password must be at most ${PASSWORD_MAX} characters`);
