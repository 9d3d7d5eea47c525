import { z } from "zod";

// Postgres text cannot hold NUL, and control characters in names only cause confusion.
const CONTROL = /[\u0000-\u001f\u007f]/;

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
