import type { Db } from "../../db/client.js";
import { sql } from "kysely";
import { NotFound, Unauthorized } from "../errors.js";
import type { SessionUser } from "./sessions.js";
import { generateToken, sha256Hex } from "./tokens.js";

const KEY_PREFIX = "glk_";
/** last_used_at is a hint for people, not an audit log: write it at most once a minute per key. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiKeyAuth {
  user: SessionUser;
  apiKey: { id: string; integration: boolean };
}

export const SESSION_ENDED = "Your session has ended (was the password changed?). Log in again.";

/**
 * A new key for the account. `sessionId` (the SHA-256 of the asking session's token): the key is
 * made only while that session exists, in one statement that locks its row, so a request that
 * passed the session check just before a reset ended every session cannot add a key just after.
 */
export async function createApiKey(db: Db, userId: string, input: { name: string; integration?: boolean }, sessionId?: string) {
  const key = generateToken(KEY_PREFIX);
  const values = { name: input.name, key_hash: sha256Hex(key), prefix: key.slice(0, KEY_PREFIX.length + 6), integration: input.integration ?? false };
  const row = sessionId
    ? (
        await sql<{ id: string; name: string; prefix: string; integration: boolean; created_at: Date }>`
          insert into api_keys (user_id, name, key_hash, prefix, integration)
          select s.user_id, ${values.name}, ${values.key_hash}, ${values.prefix}, ${values.integration}
          from (select user_id from sessions where id = ${sessionId} and user_id = ${userId} for share) s
          returning id, name, prefix, integration, created_at`.execute(db)
      ).rows[0]
    : await db.insertInto("api_keys").values({ user_id: userId, ...values }).returning(["id", "name", "prefix", "integration", "created_at"]).executeTakeFirstOrThrow();
  if (!row) throw new Unauthorized(SESSION_ENDED);
  return { key, apiKey: toDto({ ...row, last_used_at: null, revoked_at: null }) };
}

export async function listApiKeys(db: Db, userId: string) {
  const rows = await db
    .selectFrom("api_keys")
    .select(["id", "name", "prefix", "integration", "created_at", "last_used_at", "revoked_at"])
    .where("user_id", "=", userId)
    .orderBy("created_at", "desc")
    .execute();
  return rows.map(toDto);
}

export async function revokeApiKey(db: Db, userId: string, id: string) {
  const row = await db
    .updateTable("api_keys")
    .set({ revoked_at: new Date() })
    .where("id", "=", id)
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .returning(["id", "name"])
    .executeTakeFirst();
  if (!row) throw new NotFound("API key not found");
  return row;
}

export async function authenticateApiKey(db: Db, key: string, now = new Date()): Promise<ApiKeyAuth | null> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null;
  const row = await db
    .selectFrom("api_keys")
    .innerJoin("users", "users.id", "api_keys.user_id")
    .select(["api_keys.id", "api_keys.integration", "api_keys.last_used_at", "api_keys.revoked_at", "users.id as user_id", "users.email"])
    .where("api_keys.key_hash", "=", sha256Hex(key))
    .executeTakeFirst();
  if (!row || row.revoked_at) return null;
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", row.id).execute();
  }
  return { user: { id: row.user_id, email: row.email }, apiKey: { id: row.id, integration: row.integration } };
}

function toDto(row: { id: string; name: string; prefix: string; integration: boolean; created_at: Date; last_used_at: Date | null; revoked_at: Date | null }) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    integration: row.integration,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}
