import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../root.js";
import { signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { testContext } from "../../test/support/services.js";
import { openSecret, sealSecret, sealStoredSecrets } from "./secret-box.js";
import { totpCodeAt } from "./totp.js";

const PASSWORD = "correct horse battery staple";
const T0 = new Date("2026-06-01T10:00:00Z");
const OLD = "an-old-session-secret-that-is-long-enough-0123";
const NEW = "a-new-session-secret-that-is-long-enough-45678";

let db: Db;
beforeAll(async () => {
  db = await freshDb();
});

const withSession = (token: string) => createCaller(testContext({ db, sessionToken: token, ip: "192.0.2.90", now: T0 }));
const visitor = (now: Date) => createCaller(testContext({ db, ip: "192.0.2.91", now, pauses: false }));

const stored = (userId: string) => db.selectFrom("users").select(["totp_secret", "totp_pending_secret"]).where("id", "=", userId).executeTakeFirstOrThrow();

/** Signs in with the password and a code computed from `secret` at `now`; the new session's user. */
async function loginWithCode(email: string, secret: string, now: Date) {
  const first = await visitor(now).auth.login({ email, password: PASSWORD });
  if (!first.twoFactor) throw new Error("expected a request for a code");
  return visitor(now).auth.loginCode({ pending: first.pending, code: await totpCodeAt(secret, now) });
}

describe("TOTP secrets at rest", () => {
  it("stores a secret being set up and one turned on only sealed (AES-256-GCM), never as the base32 the app shows", async () => {
    const person = await signedIn(db, "sealed");
    const me = withSession(person.token);
    await me.auth.twoFactor.start();
    const { setup } = await me.auth.twoFactor.status();
    const pending = await stored(person.user.id);
    expect(pending.totp_pending_secret).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(pending.totp_pending_secret).not.toContain(setup!.secret);
    await me.auth.twoFactor.confirm({ code: await totpCodeAt(setup!.secret, T0), password: "correct horse battery staple" });
    const on = await stored(person.user.id);
    expect(on.totp_secret).toMatch(/^v1\./);
    expect(on.totp_secret).not.toContain(setup!.secret);
    expect(openSecret(on.totp_secret!, person.user.id).plain).toBe(setup!.secret);
    const { user } = await loginWithCode(person.user.email, setup!.secret, new Date(T0.getTime() + 60_000));
    expect(user.id).toBe(person.user.id);
  });

  it("opens only for the account it was sealed for, and not once a byte is changed", () => {
    const sealed = sealSecret("JBSWY3DPEHPK3PXP", "user-a");
    expect(openSecret(sealed, "user-a").plain).toBe("JBSWY3DPEHPK3PXP");
    expect(() => openSecret(sealed, "user-b")).toThrow(/none of the configured SESSION_SECRET/);
    // One bit changed in the IV, the tag or the ciphertext. (A character changed in the text can
    // be the one it replaced, or touch only the unused bits of the last one: the same bytes.)
    const raw = Buffer.from(sealed.slice("v1.".length), "base64url");
    for (const at of [0, 12, raw.length - 1]) {
      const changed = Buffer.from(raw);
      changed[at]! ^= 1;
      expect(() => openSecret(`v1.${changed.toString("base64url")}`, "user-a")).toThrow();
    }
    expect(sealSecret("JBSWY3DPEHPK3PXP", "user-a")).not.toBe(sealed);
  });

  it("keeps opening with an older secret of the list after a rotation, and says when none fits", () => {
    const sealed = sealSecret("JBSWY3DPEHPK3PXP", "user-a", [OLD]);
    expect(openSecret(sealed, "user-a", [NEW, OLD])).toEqual({ plain: "JBSWY3DPEHPK3PXP", current: false });
    expect(openSecret(sealed, "user-a", [OLD])).toEqual({ plain: "JBSWY3DPEHPK3PXP", current: true });
    expect(() => openSecret(sealed, "user-a", [NEW])).toThrow(/none of the configured SESSION_SECRET/);
  });

  it("seals secrets stored in plain before sealing existed, and reseals older keys' with the current one, at start", async () => {
    const legacy = await signedIn(db, "legacy");
    const rotated = await signedIn(db, "rotated");
    const plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    await db.updateTable("users").set({ totp_secret: plain, totp_last_step: 0 }).where("id", "=", legacy.user.id).execute();
    // A plain secret still works before the sweep: a server mid-upgrade locks nobody out.
    await loginWithCode(legacy.user.email, plain, new Date(T0.getTime() + 30_000));

    const secrets = [NEW, OLD];
    await db.updateTable("users").set({ totp_pending_secret: sealSecret(plain, rotated.user.id, [OLD]) }).where("id", "=", rotated.user.id).execute();
    expect(await sealStoredSecrets(db, secrets)).toBeGreaterThanOrEqual(2);
    const a = await stored(legacy.user.id);
    expect(a.totp_secret).toMatch(/^v1\./);
    expect(openSecret(a.totp_secret!, legacy.user.id, secrets)).toEqual({ plain, current: true });
    const b = await stored(rotated.user.id);
    expect(openSecret(b.totp_pending_secret!, rotated.user.id, [NEW])).toEqual({ plain, current: true });
    // Nothing left to do the second time.
    expect(await sealStoredSecrets(db, secrets)).toBe(0);
  });
});
