import { z } from "zod";

// Postgres text cannot hold NUL, and control characters in names only cause confusion.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Characters that change how the text around them is shown without being seen: C1 controls, line
 * and paragraph separators, and the direction marks, embeddings, overrides and isolates. A name
 * with a right-to-left override (U+202E) reads backwards in lists and mail subjects, so names
 * refuse them. Joiners (U+200C, U+200D), which scripts and emoji need, stay.
 */
const INVISIBLE_FORMATTING = /[\u0080-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** A UTF-16 half without its other half cannot be stored as UTF-8; Postgres refuses it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text that Postgres can store: no NUL or other control characters, no broken Unicode. */
export const isStorableText = (s: string) => !CONTROL.test(s) && !LONE_SURROGATE.test(s);
export const isWellFormed = (s: string) => !LONE_SURROGATE.test(s);

/** Counts characters as people do (code points), like Postgres' char_length. */
export const charLength = (s: string) => [...s].length;

/** A trimmed, single-line piece of text with a human message for each rule. */
export function text(label: string, max: number) {
  return z
    .string({ error: `${label} is required` })
    .trim()
    .min(1, `${label} is required`)
    .refine((s) => charLength(s) <= max, `${label} must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), `${label} cannot contain control characters`)
    .refine((s) => !INVISIBLE_FORMATTING.test(s), `${label} cannot contain invisible formatting characters (such as a right-to-left override)`)
    .refine(isWellFormed, `${label} contains characters that are not valid text`);
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
