import { redirect } from "@remix-run/node";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TooManyRequests } from "../../server/errors.js";
import { type FieldErrors, fieldErrorsOf } from "../../server/trpc.js";

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
  const retryAfter = error.cause instanceof TooManyRequests ? error.cause.retryAfterSeconds : null;
  return { status: getHTTPStatusCodeFromError(error), message: error.message, fieldErrors, retryAfter };
}

/**
 * For loaders: turn "not signed in" into a login redirect and every other tRPC error into the
 * matching HTTP status, which the error boundary renders.
 */
export function httpError(error: unknown, request: Request): never {
  if (!(error instanceof TRPCError)) throw error;
  if (error.code === "UNAUTHORIZED") throw loginRedirect(request);
  if (error.code === "INTERNAL_SERVER_ERROR") throw error;
  throw new Response(error.message, { status: getHTTPStatusCodeFromError(error), statusText: error.message });
}

export function loginRedirect(request: Request) {
  const url = new URL(request.url);
  const back = `${url.pathname}${url.search}`;
  return redirect(back === "/" ? "/login" : `/login?redirectTo=${encodeURIComponent(back)}`);
}

/** Only local paths, so a crafted link cannot send people elsewhere after logging in. */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = "/"): string {
  if (typeof to !== "string" || !to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  return to;
}
