import { afterEach, describe, expect, it, vi } from "vitest";

const OLD = "o".repeat(40);
const NEW = "n".repeat(40);
const future = () => new Date(Date.now() + 3600_000).toISOString();

/** The cookie module as a server configured with these secrets would load it. */
async function withSecrets(secrets: string) {
  vi.resetModules();
  vi.stubEnv("SESSION_SECRET", secrets);
  return import("./unlock-cookie.server.js");
}

const requestWith = (setCookie: string) => new Request("http://localhost/share/x", { headers: { Cookie: setCookie.split(";")[0]! } });
const slug = (i: number) => `slug${String(i).padStart(17, "0")}`;

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe("the unlock cookie", () => {
  it("is signed, HttpOnly, Lax, scoped to /share for 24 hours, and reads back what was written", async () => {
    const cookies = await withSecrets(OLD);
    const header = await cookies.withUnlock(new Request("http://localhost/"), slug(1), "fingerprint-1", future());
    expect(header).toMatch(/; Path=\/share/);
    expect(header).toMatch(/; HttpOnly/);
    expect(header).toMatch(/; SameSite=Lax/);
    expect(header).toMatch(/; Max-Age=86400/);
    expect(await cookies.readUnlocks(requestWith(header))).toEqual({ [slug(1)]: { f: "fingerprint-1", e: expect.any(Number) } });
  });

  it("reads as no unlocks at all once tampered with", async () => {
    const cookies = await withSecrets(OLD);
    const header = await cookies.withUnlock(new Request("http://localhost/"), slug(1), "fingerprint-1", future());
    const [pair] = header.split(";");
    const value = decodeURIComponent(pair!.split("=").slice(1).join("="));
    const [payload, signature] = [value.slice(0, value.lastIndexOf(".")), value.slice(value.lastIndexOf(".") + 1)];
    const forged = JSON.parse(Buffer.from(payload, "base64").toString("utf8"));
    forged[slug(2)] = forged[slug(1)];
    const tampered = `glimpse_unlock=${encodeURIComponent(`${Buffer.from(JSON.stringify(forged)).toString("base64")}.${signature}`)}`;
    expect(await cookies.readUnlocks(new Request("http://localhost/", { headers: { Cookie: tampered } }))).toEqual({});
  });

  it("drops expired entries", async () => {
    const cookies = await withSecrets(OLD);
    const header = await cookies.withUnlock(new Request("http://localhost/"), slug(1), "f", new Date(Date.now() - 1000).toISOString());
    expect(await cookies.readUnlocks(requestWith(header))).toEqual({});
  });

  it("keeps only the 20 most recent links, well under the 4 KB cookie limit", async () => {
    const cookies = await withSecrets(OLD);
    let header = "";
    for (let i = 0; i < 25; i++) {
      const request = i === 0 ? new Request("http://localhost/") : requestWith(header);
      header = await cookies.withUnlock(request, slug(i), `fingerprint-of-link-${i}-xxxxxxxxxxxx`, future());
    }
    const unlocks = await cookies.readUnlocks(requestWith(header));
    expect(Object.keys(unlocks)).toEqual(Array.from({ length: 20 }, (_, i) => slug(i + 5)));
    expect(header.length).toBeLessThan(4096);
  });

  it("survives a secret rotation (new secret first, old one kept) and not the old secret's removal", async () => {
    const before = await withSecrets(OLD);
    const header = await before.withUnlock(new Request("http://localhost/"), slug(1), "f", future());
    const rotated = await withSecrets(`${NEW},${OLD}`);
    expect(Object.keys(await rotated.readUnlocks(requestWith(header)))).toEqual([slug(1)]);
    const dropped = await withSecrets(NEW);
    expect(await dropped.readUnlocks(requestWith(header))).toEqual({});
  });
});
