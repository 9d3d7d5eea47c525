import type { AppLoadContext } from "@remix-run/node";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { env } from "../../server/env.js";
import { retryAfterOf } from "../../server/errors.js";
import { batchRefusal, MAX_BATCH_CALLS } from "../../server/http/trpc-batch.js";
import { appRouter } from "../../server/root.js";
import { requestContext } from "../../server/runtime.js";
import { readSessionToken } from "./cookies.server.js";

export const TRPC_ENDPOINT = "/api/trpc";

function bearerToken(request: Request): string | null {
  const header = request.headers.get("Authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match ? match[1]! : null;
}

/** Browsers say where a request came from; a cookie-authenticated mutation must come from us. */
function isCrossOrigin(request: Request): boolean {
  const site = request.headers.get("Sec-Fetch-Site");
  if (site) return site !== "same-origin" && site !== "none";
  const origin = request.headers.get("Origin");
  if (!origin) return false;
  return origin !== new URL(env().publicUrl).origin && origin !== new URL(request.url).origin;
}

/**
 * The router over HTTP for internal tools: an API key in `Authorization: Bearer …`, or the
 * session cookie for same-origin calls. The procedures run exactly the checks they run for pages.
 */
export async function handleTrpcRequest(request: Request, context: AppLoadContext): Promise<Response> {
  const apiKey = bearerToken(request);
  const sessionToken = apiKey ? null : await readSessionToken(request);
  if (!apiKey && sessionToken && request.method !== "GET" && isCrossOrigin(request)) {
    return Response.json(
      { error: { message: "Cross-origin requests must authenticate with an API key", code: -32003, data: { code: "FORBIDDEN", httpStatus: 403 } } },
      { status: 403 },
    );
  }
  // Refused before any call runs (and before the key or session is looked up): a capped batch costs nothing.
  const tooMany = batchRefusal(new URL(request.url), TRPC_ENDPOINT);
  if (tooMany) {
    return Response.json({ error: { message: tooMany, code: -32600, data: { code: "BAD_REQUEST", httpStatus: 400 } } }, { status: 400, headers: { "Cache-Control": "no-store" } });
  }
  // No procedure takes a form or a stream: tRPC would hand either to the input's schema as an
  // object, and the refusal would list that object's methods as unknown keys.
  const type = request.headers.get("Content-Type")?.split(";")[0]!.trim().toLowerCase();
  if (request.method === "POST" && (type === "multipart/form-data" || type === "application/octet-stream")) {
    const message = "Send the input as JSON (Content-Type: application/json): no procedure takes a form or a file.";
    return Response.json({ error: { message, code: -32415, data: { code: "UNSUPPORTED_MEDIA_TYPE", httpStatus: 415 } } }, { status: 415, headers: { "Cache-Control": "no-store" } });
  }
  return fetchRequestHandler({
    endpoint: TRPC_ENDPOINT,
    req: request,
    router: appRouter,
    allowBatching: true,
    // The same cap again, as tRPC counts: a spelling of the path the check above missed is refused too.
    maxBatchSize: MAX_BATCH_CALLS,
    createContext: () =>
      requestContext({ apiKey, sessionToken, ip: context.ip, userAgent: request.headers.get("User-Agent") ?? "", surface: "api" }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        console.error(JSON.stringify({ t: new Date().toISOString(), level: "error", trpc: path ?? null, error: error.cause?.stack ?? error.stack }));
      }
    },
    // The HTTP status follows each error's data.httpStatus (410 for a link that is gone: see trpc.ts).
    // A refusal says when to come back, in the header every HTTP client knows (the latest of a batch's).
    responseMeta({ errors }) {
      const headers = new Headers({ "Cache-Control": "no-store" });
      const retryAfter = Math.max(0, ...errors.map((error) => retryAfterOf(error.cause) ?? 0));
      if (retryAfter > 0) headers.set("Retry-After", String(retryAfter));
      return { headers };
    },
  });
}
