import { type ApiKeyAuth, authenticateApiKey } from "./auth/api-keys.js";
import { type SessionUser, validateSession } from "./auth/sessions.js";
import { clientNetwork } from "./net/client-address.js";
import type { Services } from "./services.js";
import type { Unlocks } from "./share/access.js";

export interface ContextInput {
  /** What every caller shares: database, clock, engine, buffers, limits (services.ts). */
  services: Services;
  /** Token from the session cookie, if any. */
  sessionToken?: string | null;
  /** Bearer token from the Authorization header, if any. */
  apiKey?: string | null;
  ip?: string;
  userAgent?: string;
  /** ISO country code from the trusted proxy header, already validated by the app layer. */
  country?: string;
  unlocks?: Unlocks;
  /** Where the call comes from: a page of the app, or the API over HTTP (not counted as views). */
  surface?: "page" | "api";
}

export type Auth = { kind: "session"; user: SessionUser } | ({ kind: "apiKey" } & ApiKeyAuth);

export function createContext(input: ContextInput) {
  let auth: Promise<Auth | null> | undefined;
  const memo = new Map<string, Promise<unknown>>();
  return {
    ...input.services,
    ip: input.ip ?? "unknown",
    /** Who per-client limits count this request as: the address, or its /64 for IPv6. */
    client: clientNetwork(input.ip ?? "unknown"),
    userAgent: input.userAgent ?? "",
    country: input.country ?? "",
    unlocks: input.unlocks ?? {},
    surface: input.surface ?? "page",
    sessionToken: input.sessionToken ?? null,
    /** Resolved once per request, and only by procedures that need a user. */
    auth(): Promise<Auth | null> {
      auth ??= resolveAuth(input);
      return auth;
    },
    /** Per-request memo for lookups several procedures of one page repeat (site membership). */
    once<T>(key: string, load: () => Promise<T>): Promise<T> {
      let value = memo.get(key) as Promise<T> | undefined;
      if (!value) {
        value = load();
        memo.set(key, value);
      }
      return value;
    },
  };
}

export type Context = ReturnType<typeof createContext>;

async function resolveAuth(input: ContextInput): Promise<Auth | null> {
  if (input.apiKey) {
    const key = await authenticateApiKey(input.services.db, input.apiKey);
    return key ? { kind: "apiKey", ...key } : null;
  }
  if (input.sessionToken) {
    const user = await validateSession(input.services.db, input.sessionToken);
    return user ? { kind: "session", user } : null;
  }
  return null;
}
