import { timingSafeEqual } from "node:crypto";
import { env } from "../env.js";
import type { Filter } from "../schemas/filters.js";
import { EMBED_MAX_MINUTES } from "../schemas/link-scope.js";
import type { Period } from "../schemas/stats.js";
import { readNote, signNote } from "../signed-note.js";
import { fingerprint, type ShareLink } from "./access.js";


/** What a token carries besides its link: the period it locks and filters it adds (never removes). */
export interface EmbedClaims {
  linkId: string;
  /** The link's unlock fingerprint when minted: a new password or a pause and resume ends the token. */
  fingerprint: string;
  expiresAt: Date;
  period: Period | null;
  filters: Filter[];
}

interface Payload {
  v: 1;
  l: string;
  f: string;
  e: number;
  p?: Period;
  q?: Filter[];
}

/**
 * A signed token for one link (HMAC with the first SESSION_SECRET; every configured secret
 * verifies, like the unlock cookie). Not encrypted: the period and filters it locks are what the
 * embedding page shows anyway.
 */
export function mintEmbedToken(link: Pick<ShareLink, "id" | "passwordHash" | "resumedAt">, claims: { period?: Period; filters?: Filter[]; expiresAt: Date }): string {
  const secret = env().sessionSecrets[0]!;
  const payload: Payload = {
    v: 1,
    l: link.id,
    f: fingerprint(link, secret),
    e: Math.floor(claims.expiresAt.getTime() / 1000),
    ...(claims.period && { p: claims.period }),
    ...(claims.filters?.length && { q: claims.filters }),
  };
  return signNote("embed", payload);
}

/** The claims of a genuine, unexpired token, or null: a bad token is simply no access. */
export function readEmbedToken(token: string, now: Date): EmbedClaims | null {
  if (token.length > 4096) return null;
  const payload = readNote("embed", token) as Payload | null;
  if (payload?.v !== 1 || typeof payload.l !== "string" || typeof payload.f !== "string" || typeof payload.e !== "number") return null;
  const seconds = now.getTime() / 1000;
  // A token minted for longer than the maximum (an older secret's, say) is not honoured either.
  if (payload.e <= seconds || payload.e > seconds + EMBED_MAX_MINUTES * 60 + 60) return null;
  return { linkId: payload.l, fingerprint: payload.f, expiresAt: new Date(payload.e * 1000), period: payload.p ?? null, filters: payload.q ?? [] };
}

/** The token opens this link only while its password version (and pause history) is the one it was minted for. */
export function tokenOpens(link: ShareLink, claims: EmbedClaims): boolean {
  if (claims.linkId !== link.id) return false;
  const given = Buffer.from(claims.fingerprint);
  return env().sessionSecrets.some((secret) => {
    const expected = Buffer.from(fingerprint(link, secret));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}
