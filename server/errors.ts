/**
 * Domain errors. Domain modules throw these; `trpc.ts` maps them to tRPC codes and the app maps
 * those to HTTP statuses. A `field` ties the message to a form field.
 */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export class Invalid extends DomainError {
  override name = "Invalid";
}
export class NotFound extends DomainError {
  override name = "NotFound";
}
export class Conflict extends DomainError {
  override name = "Conflict";
}
export class Forbidden extends DomainError {
  override name = "Forbidden";
}
export class Unauthorized extends DomainError {
  override name = "Unauthorized";
}
/** A shared link that exists but shows nothing now: expired, or paused by its owner (HTTP 410). */
export class Gone extends DomainError {
  override name = "Gone";
  constructor(
    message: string,
    readonly reason: "expired" | "paused",
  ) {
    super(message);
  }
}

/** The HTTP status a refusal should carry where it differs from its tRPC code's (410 for Gone). */
export function httpStatusOverride(error: unknown): number | null {
  return error instanceof Gone ? 410 : null;
}

export class TooManyRequests extends DomainError {
  override name = "TooManyRequests";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/**
 * The server cannot take this now: the database ran out of the time a request may take
 * (STATEMENT_TIMEOUT_SECONDS), or it is unreachable and what waits for it is full.
 */
export class Unavailable extends DomainError {
  override name = "Unavailable";
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * A request body refused before its content is looked at: larger than the endpoint takes (413),
 * or not in the format it reads (400). The refusal is the message alone, with no fields.
 */
export class Unreadable extends DomainError {
  override name = "Unreadable";
  constructor(
    message: string,
    readonly status: 400 | 413,
  ) {
    super(message);
  }
}

/** What a refusal says when the database ran out of the time a request may take. */
export const TIMED_OUT = "This took too long to compute. Try a shorter period or fewer filters, or try again later.";

/** Field errors keyed by dotted path ("filters.0.values"), with "" for the whole form. */
export type FieldErrors = Record<string, string[]>;

type Issue = { path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>; message: string };

/** The validation issues an error carries (zod's, or any standard schema's), if it carries some. */
export function issuesOf(cause: unknown): Issue[] | null {
  const issues = (cause as { issues?: unknown } | undefined)?.issues;
  return Array.isArray(issues) ? (issues as Issue[]) : null;
}

/** Validation issues as one sentence a person can read, instead of zod's JSON. */
export function issuesMessage(issues: readonly Issue[]): string {
  return issues.map((i) => i.message).join("; ");
}

/** Validation issues by field, for forms and API clients alike. */
export function issueFields(issues: readonly Issue[]): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of issues) {
    const key = (issue.path ?? []).map((p) => String(typeof p === "object" ? p.key : p)).join(".");
    (fields[key] ??= []).push(issue.message);
  }
  return fields;
}

/** Seconds a refused client should wait before asking again, when the refusal says. */
export function retryAfterOf(error: unknown): number | null {
  return error instanceof TooManyRequests || error instanceof Unavailable ? (error.retryAfterSeconds ?? null) : null;
}

/** Postgres error helpers that work with both postgres.js and PGlite. */
export function isStatementTimeout(error: unknown): boolean {
  // 57014 query_canceled: statement_timeout, or a cancel request.
  return pgCode(error) === "57014";
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  return pgCode(error) === "23505" && (constraint === undefined || pgConstraint(error) === constraint);
}

export function isForeignKeyViolation(error: unknown, constraint?: string): boolean {
  // 23503 for a missing referenced row; 23001 when ON DELETE RESTRICT refuses a delete.
  return (pgCode(error) === "23503" || pgCode(error) === "23001") && (constraint === undefined || pgConstraint(error) === constraint);
}

function pgCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

export function pgConstraint(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { constraint?: string; constraint_name?: string };
  return e.constraint ?? e.constraint_name;
}
