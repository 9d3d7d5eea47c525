import type { ActionFunctionArgs } from "@remix-run/node";
import { TRPCError } from "@trpc/server";
import { getCaller } from "~/lib/caller.server";
import { toFormError } from "~/lib/errors.server";

// The tracker runs on customers' sites, so this endpoint answers any origin and sets no cookies.
const CORS = { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS", "Access-Control-Allow-Headers": "Content-Type" };
const MAX_BODY = 16 * 1024;

const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => Response.json(body, { status, headers: { ...CORS, ...headers } });

export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: CORS });
  if (request.method !== "POST") return reply(405, { error: "Use POST" });
  const body = await request.text();
  if (body.length > MAX_BODY) return reply(413, { error: "Event payload is too large (16 KB at most)" });
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return reply(400, { error: "The body must be a JSON object like {\"name\":\"pageview\",\"url\":…,\"domain\":…}" });
  }
  const caller = await getCaller(request, context);
  try {
    const result = await caller.events.ingest(payload as never);
    return reply(202, result);
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    const failure = toFormError(error);
    return reply(failure.status, { error: failure.message, fields: failure.fieldErrors }, failure.retryAfter ? { "Retry-After": String(failure.retryAfter) } : {});
  }
}

export function loader() {
  return reply(405, { error: "Send events with POST" });
}
