import type { AppLoadContext } from "@remix-run/node";
import { env } from "../../server/env.js";
import { createCaller } from "../../server/root.js";
import { requestContext } from "../../server/runtime.js";
import { readSessionToken } from "./cookies.server.js";
import { readUnlocks } from "./unlock-cookie.server.js";

const COUNTRY = /^[A-Z]{2}$/;

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

/** The country a trusted proxy reports in its header (TRUSTED_PROXY_COUNTRY_HEADER), or "". */
function proxyCountry(header: (name: string) => string | null | undefined): string {
  const name = env().countryHeader;
  const country = name ? (header(name) ?? "").toUpperCase() : "";
  return COUNTRY.test(country) && country !== "XX" ? country : "";
}

async function newCaller(request: Request, context: AppLoadContext) {
  return createCaller(
    requestContext({
      sessionToken: await readSessionToken(request),
      ip: context.ip,
      userAgent: request.headers.get("User-Agent") ?? "",
      country: proxyCountry((name) => request.headers.get(name)),
      unlocks: await readUnlocks(request),
    }),
  );
}

/** A caller for the event endpoint: no session, no unlocks, only what identifies a visitor. */
export function eventCaller(input: { ip: string; userAgent: string; countryHeader: (name: string) => string | null | undefined }) {
  return createCaller(requestContext({ ip: input.ip, userAgent: input.userAgent, country: proxyCountry(input.countryHeader) }));
}

export type Caller = Awaited<ReturnType<typeof newCaller>>;
