import { createHash, randomBytes } from "node:crypto";

/** 256 bits from the CSPRNG, URL-safe. */
export function generateToken(prefix = ""): string {
  return prefix + randomBytes(32).toString("base64url");
}

/** Tokens are stored only as their SHA-256, so a database leak does not leak usable tokens. */
export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}
