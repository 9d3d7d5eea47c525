import { TRPCError } from "@trpc/server";
import { eventCaller } from "./caller.server";
import { toFormError } from "./errors.server";

// The tracker runs on customers' sites, so this endpoint answers any origin and sets no cookies.
const CORS = { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS", "Access-Control-Allow-Headers": "Content-Type" };
const MAX_BODY = 16 * 1024;

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

const reply = (status: number, body: unknown, headers: Record<string, string> = {}): EventReply => ({
  status,
  headers: { ...CORS, "Content-Type": "application/json; charset=utf-8", ...headers },
  body: JSON.stringify(body),
});

/**
 * POST /api/event, for both ways in: the Remix route, and the server in front of Remix, which
 * answers this path itself because events come by the thousand a second and a Remix round trip
 * (a web Request and Response per event) would cost most of the time. Either way the event goes
 * through the events.ingest procedure, like any tRPC call.
 */
export async function receiveEvent(request: EventRequest): Promise<EventReply> {
  if (request.method === "OPTIONS") return { status: 204, headers: CORS, body: "" };
  if (request.method !== "POST") return reply(405, { error: "Send events with POST" });
  if (request.body.length > MAX_BODY) return reply(413, { error: "Event payload is too large (16 KB at most)" });
  let payload: unknown;
  try {
    payload = JSON.parse(request.body);
  } catch {
    return reply(400, { error: 'The body must be a JSON object like {"name":"pageview","url":…,"domain":…}' });
  }
  const caller = eventCaller({ ip: request.ip, userAgent: request.header("User-Agent") ?? "", countryHeader: request.header });
  try {
    return reply(202, await caller.events.ingest(payload as never));
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    const failure = toFormError(error);
    return reply(failure.status, { error: failure.message, fields: failure.fieldErrors }, failure.retryAfter ? { "Retry-After": String(failure.retryAfter) } : {});
  }
}
