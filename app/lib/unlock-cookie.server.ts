import { createCookie } from "@remix-run/node";
import { env } from "../../server/env.js";
import { MAX_UNLOCKED_LINKS, UNLOCK_HOURS, type Unlocks } from "../../server/share/access.js";

const config = env();

/**
 * Signed with the SESSION_SECRET list (the first signs, all verify). Scoped to /share so it never
 * travels with admin requests; Lax, so it does not follow cross-site frames or posts.
 */
const unlockCookie = createCookie("glimpse_unlock", {
  httpOnly: true,
  sameSite: "lax",
  secure: config.production,
  path: "/share",
  maxAge: UNLOCK_HOURS * 3600,
  secrets: config.sessionSecrets,
});

/** A tampered or foreign cookie fails the signature check and reads as no unlocks at all. */
export async function readUnlocks(request: Request): Promise<Unlocks> {
  const value: unknown = await unlockCookie.parse(request.headers.get("Cookie"));
  if (!value || typeof value !== "object" || Array.isArray(value)) return {};
  const unlocks: Unlocks = {};
  const now = Date.now() / 1000;
  for (const [slug, entry] of Object.entries(value as Record<string, unknown>)) {
    const { f, e } = (entry ?? {}) as { f?: unknown; e?: unknown };
    if (typeof f === "string" && typeof e === "number" && e > now) unlocks[slug] = { f, e };
  }
  return unlocks;
}

/** Adds one unlock, keeping only the most recent links so the cookie stays small. */
export async function withUnlock(request: Request, slug: string, fingerprint: string, expiresAt: string): Promise<string> {
  const unlocks = await readUnlocks(request);
  delete unlocks[slug];
  unlocks[slug] = { f: fingerprint, e: Math.floor(Date.parse(expiresAt) / 1000) };
  const kept = Object.entries(unlocks).slice(-MAX_UNLOCKED_LINKS);
  return unlockCookie.serialize(Object.fromEntries(kept));
}
