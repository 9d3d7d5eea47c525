import { createHash } from "node:crypto";
import { isIP } from "node:net";

/**
 * Which hops in front of us may say who the client is. A number counts the proxies between the
 * internet and Glimpse; addresses and CIDRs (and Express's names `loopback`, `linklocal`,
 * `uniquelocal`) name them. Either way, X-Forwarded-For is read only as far as those hops vouch
 * for it, so a client cannot choose its own address by sending the header.
 */
export type TrustProxy = number | string[];

const NAMED_RANGES = new Set(["loopback", "linklocal", "uniquelocal"]);
const MAX_HOPS = 10;

/** Parses TRUST_PROXY; returns a message for a value it refuses. */
export function parseTrustProxy(value: string): { ok: true; trust: TrustProxy } | { ok: false; message: string } {
  const text = value.trim();
  if (text === "" || text === "false") return { ok: true, trust: 0 };
  if (text === "true") {
    return {
      ok: false,
      message:
        "true would let every client choose its own address through X-Forwarded-For; set the number of proxies in front of Glimpse (1 for one nginx) or their addresses (e.g. 10.0.0.0/8)",
    };
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_HOPS) return { ok: false, message: `must be at most ${MAX_HOPS} proxy hops` };
    return { ok: true, trust: hops };
  }
  const entries = text.split(",").map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    if (!NAMED_RANGES.has(entry) && !isAddressOrCidr(entry)) {
      return { ok: false, message: `“${entry.slice(0, 60)}” is neither a number of proxy hops nor a proxy address, CIDR range, loopback, linklocal or uniquelocal` };
    }
  }
  return { ok: true, trust: entries };
}

function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split("/");
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** The address Express worked out, if it is one: IPv4-mapped IPv6 reads as plain IPv4. */
export function validClientAddress(address: string | undefined): string | null {
  if (!address) return null;
  const plain = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  return isIP(plain) === 0 ? null : plain;
}

/**
 * What limits count a client by: its IPv4 address, or the /64 network of an IPv6 address (one
 * subscriber gets a whole /64, so single IPv6 addresses would be free to rotate).
 */
export function clientNetwork(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = "", tail = ""] = address.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = address.includes("::") ? [...headGroups, ...Array(Math.max(missing, 0)).fill("0"), ...tailGroups] : headGroups;
  return `${groups.slice(0, 4).map((g) => (g.replace(/^0+/, "") || "0").toLowerCase()).join(":")}::/64`;
}

/** Fixed-length keys for limits, whatever went into them: a hash of the parts, under a readable kind. */
export function limitKey(kind: string, ...parts: string[]): string {
  return `${kind}:${createHash("sha256").update(parts.join("\n")).digest("base64url").slice(0, 32)}`;
}
