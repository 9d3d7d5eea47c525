import type { IncomingMessage } from "node:http";
import { bodyLimit, describeLimit } from "../net/body-limits.js";
import { loggablePath } from "./paths.js";

/**
 * The checks every request passes before a route sees it, and the words and log lines they end
 * in, for both ways a request is answered (scripts/serve.mjs): Express for any path, and the
 * event fast path in front of it, which takes a request only when these checks pass and leaves
 * the rest to Express to answer the same way. A node:http request (and the address its trusted
 * proxies report) in, a decision out.
 */
export interface Refusal {
  status: number;
  /** Plain text, for people. */
  text: string;
}

export const UNREADABLE_BODY = "The request body could not be read.";
export const SERVER_FAULT = "Something went wrong on our side. Please try again.";
export const NOT_UNDERSTOOD = "This request could not be understood.";

/**
 * Why a request cannot be answered, or null: a trusted proxy that reported something other than
 * an address (`ip` is `validClientAddress`'s answer) is misconfigured, and guessing would put
 * this client in someone else's rate-limit budget; a path the router cannot decode (`path` is
 * `routePath`'s answer) matches nothing; and a Host that makes no URL would crash every page that
 * builds its URL from it.
 */
export function requestRefusal(ip: string | null, path: string | null, req: Pick<IncomingMessage, "headers" | "url">, protocol = "http"): Refusal | null {
  if (!ip) return { status: 400, text: "This request did not come with a valid client address." };
  if (path === null) return { status: 400, text: "This address could not be understood." };
  if (!URL.canParse(`${protocol}://${req.headers.host ?? ""}${req.url ?? ""}`)) return { status: 400, text: NOT_UNDERSTOOD };
  return null;
}

/**
 * 413 for a body whose declared length (Content-Length) is over its route's limit, before a byte
 * of it is read; a length that is not a number is over any limit.
 */
export function bodyRefusal(method: string, path: string, req: Pick<IncomingMessage, "headers">): Refusal | null {
  const declared = req.headers["content-length"];
  if (declared === undefined) return null;
  const limit = bodyLimit(method, path);
  return Number(declared) <= limit ? null : tooLarge(limit);
}

/** 413 for a body past `limit`, declared or found while it streams in. */
export function tooLarge(limit: number): Refusal {
  return { status: 413, text: limit === 0 ? "This request must not have a body." : `This request is too large: ${describeLimit(limit)} at most.` };
}

/** Whether reading a body failed by the client's doing (shorter or longer than declared, or gone): a 400, not our fault. */
export function isClientBodyError(error: unknown): boolean {
  const e = error as { type?: unknown; code?: unknown } | null;
  return e?.type === "request.size.invalid" || e?.type === "request.aborted" || e?.code === "ECONNABORTED";
}

/**
 * The request log's line: the path only (query strings can carry filters people typed), with
 * secrets in paths (share slugs, tokens) left out whatever their spelling.
 */
export function requestLogLine(method: string, rawPath: string, status: number, startedNs: bigint): string {
  const ms = Number(process.hrtime.bigint() - startedNs) / 1e6;
  return JSON.stringify({ t: new Date().toISOString(), method, path: loggablePath(rawPath), status, ms: Math.round(ms * 10) / 10 });
}

/** The error log's line for a request answered with an error: no path (it may be a slug) and no stack. */
export function errorLogLine(status: number, error: unknown): string {
  const message = String((error as { message?: unknown } | null)?.message ?? error).slice(0, 200);
  return JSON.stringify({ t: new Date().toISOString(), level: status >= 500 ? "error" : "warn", status, error: message });
}
