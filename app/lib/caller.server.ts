import type { AppLoadContext } from "@remix-run/node";
import { env } from "../../server/env.js";
import { proxyCountry } from "../../server/ingest/countries.js";
import { createCaller } from "../../server/root.js";
import { requestContext } from "../../server/runtime.js";
import { readSessionToken } from "./cookies.server.js";
import { readUnlocks } from "./unlock-cookie.server.js";

/**
 * The only way routes reach the backend: a tRPC caller bound to this request's session, client IP
 * and unlock cookie, so every call passes the same checks as over HTTP.
 */
export function getCaller(request: Request, context: AppLoadContext): Promise<Caller> {
  // Every loader of one request shares one caller, so the session is looked up once per request.
  const memo = context as AppLoadContext & { caller?: Promise<Caller> };
  memo.caller ??= newCaller(request, context);
  return memo.caller;
}

async function newCaller(request: Request, context: AppLoadContext) {
  return createCaller(
    requestContext({
      sessionToken: await readSessionToken(request),
      ip: context.ip,
      userAgent: request.headers.get("User-Agent") ?? "",
      country: proxyCountry(env().countryHeader, (name) => request.headers.get(name)),
      unlocks: await readUnlocks(request),
    }),
  );
}

export type Caller = Awaited<ReturnType<typeof newCaller>>;
