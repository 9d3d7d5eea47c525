import { env } from "../env.js";
import { DomainError, Invalid, isStatementTimeout, issueFields, issuesMessage, issuesOf, NotFound, retryAfterOf, TIMED_OUT, TooManyRequests, Unavailable, Unreadable } from "../errors.js";
import { proxyCountry } from "../ingest/countries.js";
import { type IngestContext, ingestBody } from "../ingest/pipeline.js";

// The tracker runs on customers' sites, so this endpoint answers any origin and sets no cookies.
const CORS = { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS", "Access-Control-Allow-Headers": "Content-Type" };

export interface EventRequest {
  method: string;
  body: string;
  /** The client address, as the trusted proxies report it. */
  ip: string;
  header(name: string): string | null | undefined;
}

export interface EventReply {
  status: number;
  headers: Record<string, string>;
  /** JSON, or empty. */
  body: string;
}

const reply = (status: number, body: unknown, headers?: Record<string, string>): EventReply => ({
  status,
  headers: headers ? { ...CORS, "Content-Type": "application/json; charset=utf-8", ...headers } : JSON_HEADERS,
  body: JSON.stringify(body),
});
const JSON_HEADERS = { ...CORS, "Content-Type": "application/json; charset=utf-8" };

/**
 * POST /api/event, for every way in: the server in front of Remix answers this path itself
 * (events come by the thousand a second), and the Remix route answers the spellings it lets
 * through. The event goes straight into the pipeline (../ingest/pipeline.ts); no tRPC on the way.
 */
export async function receiveEvent(ctx: IngestContext, request: EventRequest): Promise<EventReply> {
  if (request.method === "OPTIONS") return { status: 204, headers: CORS, body: "" };
  if (request.method !== "POST") return reply(405, { error: "Send events with POST" });
  const visitor = { ip: request.ip, userAgent: request.header("User-Agent") ?? "", country: proxyCountry(env().countryHeader, request.header) };
  try {
    return reply(202, await ingestBody(ctx, request.body, visitor));
  } catch (error) {
    return refusal(error);
  }
}

/** HTTP statuses of the refusals the pipeline throws (the tRPC procedure's error mapping gives the same). */
const STATUSES = new Map<Function, number>([
  [Invalid, 400],
  [NotFound, 404],
  [TooManyRequests, 429],
  [Unavailable, 503],
]);

/** A refusal as the client reads it: the reason, the fields it concerns, and when to try again. */
function refusal(error: unknown): EventReply {
  if (error instanceof Unreadable) return reply(error.status, { error: error.message });
  const issues = issuesOf(error);
  if (issues) return reply(400, { error: issuesMessage(issues), fields: issueFields(issues) });
  if (isStatementTimeout(error)) return reply(503, { error: TIMED_OUT, fields: {} });
  const status = error instanceof DomainError ? STATUSES.get(error.constructor) : undefined;
  if (!status) throw error;
  const domainError = error as DomainError;
  const retryAfter = retryAfterOf(error);
  return reply(
    status,
    { error: domainError.message, fields: domainError.field ? { [domainError.field]: [domainError.message] } : {} },
    retryAfter ? { "Retry-After": String(retryAfter) } : undefined,
  );
}
