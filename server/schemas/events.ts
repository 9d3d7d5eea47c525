import { z } from "zod";
import { isStorableText, text } from "./common.js";

/**
 * Plausible's own tracker sends one-letter keys; accepting them lets its script report to us too.
 * Its older versions sent properties as `m` ("meta"), and as a JSON string rather than an object.
 */
const SHORT_KEYS: Record<string, string> = { n: "name", u: "url", d: "domain", r: "referrer", p: "props", m: "props", meta: "props" };

function expandShortKeys(input: unknown): unknown {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) out[SHORT_KEYS[key] ?? key] = value;
  if (typeof out.props === "string") out.props = parseJsonObject(out.props);
  return out;
}

/** An object from a JSON string, or the string itself (which validation then refuses). */
function parseJsonObject(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : text;
  } catch {
    return text;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

// Postgres text cannot hold NUL, and no browser sends control characters in these fields.
const CONTROL = /[\u0000-\u001f\u007f]/;
const noControl = (label: string) => [(s: string) => !CONTROL.test(s), `${label} cannot contain control characters`] as const;

const MAX_PROPS = 30;
const propValue = z.union(
  [
    z.string().max(2000, "A property value must be at most 2000 characters").refine(isStorableText, "Property values cannot contain control characters"),
    z.number().refine(Number.isFinite, "Property values must be finite numbers"),
    z.boolean(),
    z.null(),
  ],
  { error: "Property values must be strings, numbers or booleans" },
);
const propName = z
  .string()
  .min(1, "Property names cannot be empty")
  .max(300, "A property name must be at most 300 characters")
  .refine(isStorableText, "Property names cannot contain control characters");

/** Which rule a property name broke (a record's own message would only say "invalid key"). */
const propsError = (issue: { code?: string; issues?: { message: string }[] }) =>
  issue.code === "invalid_key" ? (issue.issues?.[0]?.message ?? "Property names must be text") : issue.code === "invalid_type" ? "Props must be an object" : undefined;

/**
 * A `__proto__` property would be dropped on the way into an object (and its contents with it, past
 * the limits): refused like any other property over a limit, not stored with some cut off.
 */
const props = z
  .unknown()
  .superRefine((value, ctx) => {
    if (value !== null && typeof value === "object" && Object.hasOwn(value, "__proto__")) ctx.addIssue({ code: "custom", message: "A property cannot be named __proto__", abort: true });
  })
  .pipe(
    z
      .record(propName, propValue, { error: propsError })
      .refine((p) => Object.keys(p).length <= MAX_PROPS, `Send at most ${MAX_PROPS} properties`),
  );

/**
 * Plausible's event payload. Unknown keys (screen width, hash mode, revenue…) are ignored rather
 * than rejected, so trackers that send more than we use still work.
 */
export const eventPayload = z.preprocess(
  expandShortKeys,
  z.object(
    {
      name: text("Event name", 120, "sent"),
      url: z
        .string({ error: "URL is required" })
        .max(2000, "URL must be at most 2000 characters")
        .refine(...noControl("URL"))
        .refine(isHttpUrl, "URL must be an absolute http(s) address such as https://example.com/page"),
      domain: z
        .string({ error: "Domain is required" })
        .trim()
        .min(1, "Domain is required")
        .max(253, "Domain must be at most 253 characters")
        .refine(...noControl("Domain")),
      referrer: z
        .string({ error: "Referrer must be text" })
        .max(2000, "Referrer must be at most 2000 characters")
        .refine(...noControl("Referrer"))
        .nullish()
        .transform((r) => r ?? ""),
      props: props.optional(),
    },
    { error: "The event must be a JSON object" },
  ),
);
export type EventPayload = z.output<typeof eventPayload>;

export const PAGEVIEW = "pageview";
