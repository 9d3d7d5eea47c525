import { redirect } from "@remix-run/node";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { Gone, httpStatusOverride, retryAfterOf } from "../../server/errors.js";
import { type FieldErrors, fieldErrorsOf } from "../../server/trpc.js";
import { tryAgainIn } from "./format";

export interface FormError {
  status: number;
  message: string;
  fieldErrors: FieldErrors;
  /** Seconds to wait, for 429s. */
  retryAfter: number | null;
}

/** A tRPC error as a form can show it: per-field messages, or one message for the whole form. */
export function toFormError(error: unknown): FormError {
  if (!(error instanceof TRPCError)) throw error;
  if (error.code === "INTERNAL_SERVER_ERROR") throw error;
  const fieldErrors = fieldErrorsOf(error) ?? {};
  const retryAfter = retryAfterOf(error.cause);
  return { status: statusOf(error), message: error.message, fieldErrors, retryAfter };
}

/**
 * For loaders: turn "not signed in" into a login redirect and every other tRPC error into the
 * matching HTTP status, which the error boundary renders.
 */
export function httpError(error: unknown, request: Request): never {
  if (!(error instanceof TRPCError)) throw error;
  if (error.code === "UNAUTHORIZED") throw loginRedirect(request);
  if (error.code === "INTERNAL_SERVER_ERROR") throw error;
  const retryAfter = retryAfterOf(error.cause);
  throw new Response(retryAfter ? `${error.message} ${tryAgainIn(retryAfter)}` : error.message, {
    status: statusOf(error),
    headers: retryAfter ? { "Retry-After": String(retryAfter) } : {},
  });
}

/**
 * For pages of a link's token (reset, invitation): a token of the wrong shape is a dead link like
 * any other (null), while anything else (a busy database, a refusal with Retry-After) is that
 * error's page, not "this link no longer works".
 */
export function deadLinkOr(request: Request) {
  return (error: unknown): null => {
    if (error instanceof TRPCError && error.code === "BAD_REQUEST") return null;
    return httpError(error, request);
  };
}

/** An expired or paused shared link's refusal (410) with its reason, as a response; null for any other error. */
export function goneResponse(error: unknown): Response | null {
  if (!(error instanceof TRPCError) || !(error.cause instanceof Gone)) return null;
  return Response.json({ message: error.message, reason: error.cause.reason }, { status: 410 });
}

/** The HTTP status of a tRPC error, 410 for a link that is gone included. */
export function statusOf(error: TRPCError): number {
  return httpStatusOverride(error.cause) ?? getHTTPStatusCodeFromError(error);
}

export function loginRedirect(request: Request) {
  const url = new URL(request.url);
  const back = `${url.pathname}${url.search}`;
  return redirect(back === "/" ? "/login" : `/login?redirectTo=${encodeURIComponent(back)}`);
}

const OWN_ORIGIN = "http://glimpse.invalid";

/**
 * A local path to send people to after logging in, or `fallback`. The target is resolved the way
 * a browser will resolve it (tabs and newlines dropped, backslashes read as slashes, dot segments
 * applied) and must stay on our origin, so no spelling of "//evil.example" gets through; what is
 * returned is the resolved path, so the Location header holds exactly what was checked.
 */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = "/"): string {
  if (typeof to !== "string" || !to.startsWith("/")) return fallback;
  let url: URL;
  try {
    url = new URL(to, OWN_ORIGIN);
  } catch {
    return fallback;
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  // "//host" in a Location header is another site, even when it came from our own origin's path.
  if (url.origin !== OWN_ORIGIN || !path.startsWith("/") || path.startsWith("//")) return fallback;
  return path;
}
