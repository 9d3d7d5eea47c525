import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { Db } from "../../db/client.js";
import { env } from "../env.js";

/**
 * TOTP secrets must be read back to check codes, so they cannot be hashed; they are sealed with
 * AES-256-GCM under a key derived (HKDF-SHA256) from SESSION_SECRET, so a database dump alone does
 * not hold them. The user's id is the associated data: a sealed secret copied to another row does
 * not open. The first secret of the list seals; every one opens, so secrets rotate like cookies'.
 *
 * Stored form: `v1.` + base64url(12-byte IV | 16-byte tag | ciphertext). A value without the prefix
 * is a secret stored before sealing (base32, never starts with "v1."): read as is, and sealed at
 * the next start (sealStoredSecrets).
 */
const PREFIX = "v1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;

const keys = new Map<string, Buffer>();

function keyOf(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", secret, "glimpse", "totp-secret v1", 32));
    keys.set(secret, key);
  }
  return key;
}

const aad = (userId: string) => Buffer.from(`totp:${userId}`);

export function sealSecret(plain: string, userId: string, secrets = env().sessionSecrets): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keyOf(secrets[0]!), iv);
  cipher.setAAD(aad(userId));
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

export const isSealed = (stored: string) => stored.startsWith(PREFIX);

/**
 * The plain secret, and whether it was sealed with the current key. Throws when no configured
 * secret opens it (SESSION_SECRET replaced without keeping the old one in the list).
 */
export function openSecret(stored: string, userId: string, secrets = env().sessionSecrets): { plain: string; current: boolean } {
  if (!isSealed(stored)) return { plain: stored, current: false };
  const raw = Buffer.from(stored.slice(PREFIX.length), "base64url");
  const iv = raw.subarray(0, IV_BYTES);
  const tag = raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const body = raw.subarray(IV_BYTES + TAG_BYTES);
  for (const [index, secret] of secrets.entries()) {
    try {
      const decipher = createDecipheriv("aes-256-gcm", keyOf(secret), iv);
      decipher.setAAD(aad(userId));
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
      return { plain, current: index === 0 };
    } catch {
      // Not this key: try the next one.
    }
  }
  throw new Error("A stored two-factor secret opens with none of the configured SESSION_SECRET values");
}

/**
 * Seals what was stored in plain (before sealing existed) and reseals what an older secret of the
 * list sealed, so the old secret can later be dropped. Each row is updated only if it still holds
 * what was read. Run at start, after the migrations; returns how many rows changed.
 */
export async function sealStoredSecrets(db: Db, secrets = env().sessionSecrets): Promise<number> {
  const rows = await db
    .selectFrom("users")
    .select(["id", "totp_secret", "totp_pending_secret"])
    .where((eb) => eb.or([eb("totp_secret", "is not", null), eb("totp_pending_secret", "is not", null)]))
    .execute();
  let changed = 0;
  for (const row of rows) {
    const next = (stored: string | null) => {
      if (stored === null) return stored;
      let opened: { plain: string; current: boolean };
      try {
        opened = openSecret(stored, row.id, secrets);
      } catch {
        return stored; // Left as it is: sign-in with it fails until the right secret is configured.
      }
      return opened.current ? stored : sealSecret(opened.plain, row.id, secrets);
    };
    const secret = next(row.totp_secret);
    const pending = next(row.totp_pending_secret);
    if (secret === row.totp_secret && pending === row.totp_pending_secret) continue;
    const updated = await db
      .updateTable("users")
      .set({ totp_secret: secret, totp_pending_secret: pending })
      .where("id", "=", row.id)
      .where((eb) => (row.totp_secret === null ? eb("totp_secret", "is", null) : eb("totp_secret", "=", row.totp_secret)))
      .where((eb) => (row.totp_pending_secret === null ? eb("totp_pending_secret", "is", null) : eb("totp_pending_secret", "=", row.totp_pending_secret)))
      .executeTakeFirst();
    changed += Number(updated.numUpdatedRows);
  }
  return changed;
}
