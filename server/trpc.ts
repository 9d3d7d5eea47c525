import { initTRPC, TRPCError } from "@trpc/server";
import type { Role } from "../db/schema.js";
import type { Context } from "./context.js";
import {
  Conflict,
  DomainError,
  type FieldErrors,
  Forbidden,
  Gone,
  httpStatusOverride,
  Invalid,
  isStatementTimeout,
  issueFields,
  issuesMessage,
  issuesOf,
  NotFound,
  retryAfterOf,
  TIMED_OUT,
  TooManyRequests,
  Unauthorized,
  Unavailable,
} from "./errors.js";
import { siteRef } from "./schemas/common.js";
import { assertRole, requireSite } from "./sites/sites.js";

export type { FieldErrors };

export function fieldErrorsOf(error: TRPCError): FieldErrors | null {
  const issues = issuesOf(error.cause);
  if (issues) return issueFields(issues);
  if (error.cause instanceof DomainError && error.cause.field) return { [error.cause.field]: [error.cause.message] };
  return null;
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const retryAfter = retryAfterOf(error.cause);
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    return {
      ...shape,
      // Internal errors keep their detail in the server log only.
      message: internal ? "Something went wrong on our side. Please try again." : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: httpStatusOverride(error.cause) ?? shape.data.httpStatus,
        path: shape.data.path,
        fieldErrors: internal ? null : fieldErrorsOf(error),
        retryAfter,
      },
    };
  },
});

const CODES = new Map<Function, TRPCError["code"]>([
  [Invalid, "BAD_REQUEST"],
  [NotFound, "NOT_FOUND"],
  [Conflict, "CONFLICT"],
  [Forbidden, "FORBIDDEN"],
  [Unauthorized, "UNAUTHORIZED"],
  [TooManyRequests, "TOO_MANY_REQUESTS"],
  [Unavailable, "SERVICE_UNAVAILABLE"],
  // tRPC has no 410: the code says "not found", and data.httpStatus and the HTTP status say 410.
  [Gone, "NOT_FOUND"],
]);

/**
 * Domain errors become tRPC errors here, once, by class (never by message text), and zod issues
 * get a sentence a person can read instead of zod's JSON, for callers and HTTP clients alike.
 */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (isStatementTimeout(cause)) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: TIMED_OUT, cause: new Unavailable(TIMED_OUT) });
    const code = cause ? CODES.get(cause.constructor) : undefined;
    if (code) throw new TRPCError({ code, message: cause!.message, cause });
    const issues = issuesOf(cause);
    if (issues && result.error.code === "BAD_REQUEST") {
      throw new TRPCError({ code: "BAD_REQUEST", message: issuesMessage(issues), cause });
    }
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure.use(mapDomainErrors);

export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const auth = await ctx.auth();
  if (!auth) throw new TRPCError({ code: "UNAUTHORIZED", message: "Log in or use a valid API key" });
  return next({
    ctx: {
      ...ctx,
      user: auth.user,
      authKind: auth.kind,
      actor: { userId: auth.user.id, integration: auth.kind === "apiKey" && auth.apiKey.integration },
    },
  });
});

/** Account management (API keys) needs a person at a browser: an API key cannot mint more keys. */
export const sessionProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.authKind !== "session") throw new TRPCError({ code: "FORBIDDEN", message: "API keys can only be managed when logged in" });
  return next();
});

/**
 * Site-scoped procedures name the site (by domain) in their input; membership and role are checked
 * here for every call, so no procedure can forget it.
 */
export function siteProcedure(minimum: Role) {
  return authedProcedure.use(async ({ ctx, next, getRawInput }) => {
    const raw = (await getRawInput()) as { site?: unknown } | undefined;
    const site = siteRef.safeParse(raw?.site);
    if (!site.success) throw new Invalid(site.error.issues[0]?.message ?? "Site is required", "site");
    const domain = site.data.toLowerCase();
    const access = await ctx.once(`site:${ctx.user.id}:${domain}`, () => requireSite(ctx.db, ctx.user.id, domain, "viewer"));
    assertRole(access, minimum);
    return next({ ctx: { ...ctx, site: access.site, role: access.role } });
  });
}
