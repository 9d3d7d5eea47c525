import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../root.js";
import { anonymous, expectCode, signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { testContext } from "../../test/support/services.js";
import { PENDING_MINUTES } from "./pending-login.js";
import { operatorTurnOffTwoFactor, totpCodeAt, WRONG_CODE, WRONG_PASSWORD_OR_CODE } from "./totp.js";

const PASSWORD = "correct horse battery staple";
let db: Db;
beforeAll(async () => {
  db = await freshDb();
});

const T0 = new Date("2026-05-04T09:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
/** Someone logging in from `ip` at `now`. */
const visitor = (now: Date, ip = "192.0.2.60") => createCaller(testContext({ db, ip, now, pauses: false }));
const withSession = (token: string, now = T0) => createCaller(testContext({ db, sessionToken: token, ip: "192.0.2.61", now }));

/** An account with two-factor sign-in turned on at T0: its secret, recovery codes and a session. */
async function withTwoFactor(label: string) {
  const person = await signedIn(db, label);
  const me = withSession(person.token);
  await me.auth.twoFactor.start();
  const { setup } = await me.auth.twoFactor.status();
  const secret = setup!.secret;
  const { recoveryCodes } = await me.auth.twoFactor.confirm({ code: await totpCodeAt(secret, T0), password: PASSWORD });
  return { ...person, secret, recoveryCodes };
}

async function pendingFor(email: string, now: Date, ip?: string) {
  const result = await visitor(now, ip).auth.login({ email, password: PASSWORD });
  if (!result.twoFactor) throw new Error("expected a request for a code");
  return result.pending;
}

describe("turning two-factor sign-in on", () => {
  it("shows a QR code as SVG and the secret, and changes nothing until a first right code", async () => {
    const person = await signedIn(db, "setup");
    const me = withSession(person.token);
    expect(await me.auth.twoFactor.status()).toEqual({ enabled: false, setup: null, recoveryCodesLeft: 0 });
    await me.auth.twoFactor.start();
    const { setup } = await me.auth.twoFactor.status();
    expect(setup!.secret).toMatch(/^[A-Z2-7]{32}$/);
    // The key URI's defaults (6 digits, 30 s, SHA-1) are what the codes use.
    expect(setup!.uri).toBe(`otpauth://totp/Glimpse:${encodeURIComponent(person.user.email)}?secret=${setup!.secret}&issuer=Glimpse`);
    expect(setup!.qrSvg).toMatch(/^<svg [^>]*viewBox/);
    expect(setup!.qrSvg).not.toMatch(/<script|on\w+=/i);
    const wrong = await expectCode(me.auth.twoFactor.confirm({ code: "000000" === (await totpCodeAt(setup!.secret, T0)) ? "111111" : "000000", password: PASSWORD }), "BAD_REQUEST");
    expect(wrong.message).toMatch(/not right/);
    // Still off: the password alone signs in.
    expect((await visitor(T0).auth.login({ email: person.user.email, password: PASSWORD })).twoFactor).toBe(false);
    const { recoveryCodes } = await me.auth.twoFactor.confirm({ code: await totpCodeAt(setup!.secret, T0), password: PASSWORD });
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    const stored = await db.selectFrom("recovery_codes").select("code_hash").where("user_id", "=", person.user.id).execute();
    expect(stored.map((r) => r.code_hash).some((h) => recoveryCodes.some((c) => h.includes(c.replace("-", ""))))).toBe(false);
    expect(await me.auth.twoFactor.status()).toEqual({ enabled: true, setup: null, recoveryCodesLeft: 10 });
    await expectCode(me.auth.twoFactor.start(), "CONFLICT");
  });
});

describe("a session alone cannot turn two-factor sign-in on", () => {
  it("asks for the password with the first code, counts wrong ones, and stays off without it", async () => {
    const person = await signedIn(db, "stolen-session");
    const me = withSession(person.token);
    await me.auth.twoFactor.start();
    const { setup } = await me.auth.twoFactor.status();
    const code = await totpCodeAt(setup!.secret, T0);
    await expectCode(me.auth.twoFactor.confirm({ code } as never), "BAD_REQUEST");
    const wrong = await expectCode(me.auth.twoFactor.confirm({ code, password: "not the password" }), "BAD_REQUEST");
    expect(wrong.message).toBe("The password is not right");
    expect((await me.auth.twoFactor.status()).enabled).toBe(false);
    // Ten wrong passwords in all (this form and the others that ask for it), then none is even checked.
    for (let i = 1; i < 10; i++) await expectCode(me.auth.changePassword({ currentPassword: `guess ${i}`, password: "a new password 2026", endOtherSessions: false }), "BAD_REQUEST");
    await expectCode(me.auth.twoFactor.confirm({ code, password: PASSWORD }), "TOO_MANY_REQUESTS");
    expect((await me.auth.twoFactor.status()).enabled).toBe(false);
    expect((await visitor(T0).auth.login({ email: person.user.email, password: PASSWORD })).twoFactor).toBe(false);
  });
});

describe("wrong codes when turning it on", () => {
  it("count against the account's budget like wrong passwords", async () => {
    const person = await signedIn(db, "code-guesser");
    const me = withSession(person.token);
    await me.auth.twoFactor.start();
    const { setup } = await me.auth.twoFactor.status();
    const right = await totpCodeAt(setup!.secret, T0);
    const wrong = right === "000000" ? "111111" : "000000";
    for (let i = 0; i < 10; i++) await expectCode(me.auth.twoFactor.confirm({ code: wrong, password: PASSWORD }), "BAD_REQUEST");
    await expectCode(me.auth.twoFactor.confirm({ code: right, password: PASSWORD }), "TOO_MANY_REQUESTS");
    expect((await me.auth.twoFactor.status()).enabled).toBe(false);
  });
});

describe("signing in with two-factor on", () => {
  it("gives no session for the password alone, then one for a right code", async () => {
    const person = await withTwoFactor("login");
    const sessionsBefore = await db.selectFrom("sessions").select("id").where("user_id", "=", person.user.id).execute();
    const result = await visitor(at(60_000)).auth.login({ email: person.user.email, password: PASSWORD });
    expect(Object.keys(result).sort()).toEqual(["pending", "twoFactor"]);
    expect(await db.selectFrom("sessions").select("id").where("user_id", "=", person.user.id).execute()).toHaveLength(sessionsBefore.length);
    const pending = (result as { pending: string }).pending;
    const wrong = await expectCode(visitor(at(60_000)).auth.loginCode({ pending, code: "12345" }), "UNAUTHORIZED");
    expect(wrong.message).toBe(WRONG_CODE);
    const { token } = await visitor(at(60_000)).auth.loginCode({ pending, code: await totpCodeAt(person.secret, at(60_000)) });
    expect(await withSession(token).auth.me()).toMatchObject({ email: person.user.email });
  });

  it("accepts a code once within its window, and the neighbouring step's code", async () => {
    const person = await withTwoFactor("replay");
    const now = at(120_000);
    const code = await totpCodeAt(person.secret, now);
    const pending = await pendingFor(person.user.email, now);
    await visitor(now).auth.loginCode({ pending, code });
    const replay = await expectCode(visitor(now).auth.loginCode({ pending: await pendingFor(person.user.email, now), code }), "UNAUTHORIZED");
    expect(replay.message).toBe(WRONG_CODE);
    // A phone 30 s behind still works, once.
    const later = at(240_000);
    await visitor(later).auth.loginCode({ pending: await pendingFor(person.user.email, later), code: await totpCodeAt(person.secret, at(210_000)) });
  });

  it("takes each recovery code once", async () => {
    const person = await withTwoFactor("recovery");
    const [first, second] = person.recoveryCodes;
    const { token } = await visitor(T0).auth.loginCode({ pending: await pendingFor(person.user.email, T0), code: ` ${first!.toUpperCase()} ` });
    expect(await withSession(token).auth.me()).toMatchObject({ email: person.user.email });
    await expectCode(visitor(T0).auth.loginCode({ pending: await pendingFor(person.user.email, T0), code: first! }), "UNAUTHORIZED");
    await visitor(T0).auth.loginCode({ pending: await pendingFor(person.user.email, T0), code: second!.replace("-", "") });
    expect((await withSession(token).auth.twoFactor.status()).recoveryCodesLeft).toBe(8);
  });

  it("refuses a pending sign-in that ran out, was tampered with, or predates a password change", async () => {
    const person = await withTwoFactor("pending");
    const pending = await pendingFor(person.user.email, T0);
    const late = at(PENDING_MINUTES * 60_000);
    const gone = await expectCode(visitor(late).auth.loginCode({ pending, code: await totpCodeAt(person.secret, late) }), "UNAUTHORIZED");
    expect(gone.message).toMatch(/Log in again/);
    const [body, mac] = pending.split(".");
    const forged = `${Buffer.from(JSON.stringify(["00000000-0000-0000-0000-000000000000", 0, late.getTime() + 60_000])).toString("base64url")}.${mac}`;
    await expectCode(visitor(T0).auth.loginCode({ pending: forged, code: "123456" }), "UNAUTHORIZED");
    await expectCode(visitor(T0).auth.loginCode({ pending: `${body}.x${mac}`, code: "123456" }), "UNAUTHORIZED");
    const fresh = await pendingFor(person.user.email, T0);
    await withSession(person.token).auth.changePassword({ currentPassword: PASSWORD, password: "another long password", endOtherSessions: false });
    const stale = await expectCode(visitor(at(30_000)).auth.loginCode({ pending: fresh, code: await totpCodeAt(person.secret, at(30_000)) }), "UNAUTHORIZED");
    expect(stale.message).toMatch(/Log in again/);
  });

  it("limits wrong codes like wrong passwords, per account from one network", async () => {
    const person = await withTwoFactor("guessed");
    const pending = await pendingFor(person.user.email, T0, "203.0.113.60");
    const right = await totpCodeAt(person.secret, T0);
    const guesses = ["000000", "111111", "222222", "333333", "444444", "555555", "666666", "777777", "888888", "999999", "121212"].filter((c) => c !== right).slice(0, 10);
    for (const code of guesses) await expectCode(visitor(T0, "203.0.113.60").auth.loginCode({ pending, code }), "UNAUTHORIZED");
    await expectCode(visitor(T0, "203.0.113.60").auth.loginCode({ pending, code: right }), "TOO_MANY_REQUESTS");
  });

  it("leaves API keys working without a code", async () => {
    const person = await withTwoFactor("keyed");
    const { key } = await withSession(person.token).auth.apiKeys.create({ name: "Script" });
    expect(await createCaller(testContext({ db, apiKey: key })).sites.list()).toEqual([]);
  });
});

describe("turning two-factor sign-in off", () => {
  it("needs the password and a code, and then the password alone signs in again", async () => {
    const person = await withTwoFactor("off");
    const me = withSession(person.token, at(90_000));
    const code = await totpCodeAt(person.secret, at(90_000));
    // A wrong password and a wrong code are refused alike: the answer does not say which was wrong.
    expect((await expectCode(me.auth.twoFactor.disable({ password: "not the password", code }), "BAD_REQUEST")).message).toBe(WRONG_PASSWORD_OR_CODE);
    expect((await expectCode(me.auth.twoFactor.disable({ password: PASSWORD, code: "abcde-fghij" }), "BAD_REQUEST")).message).toBe(WRONG_PASSWORD_OR_CODE);
    await me.auth.twoFactor.disable({ password: PASSWORD, code });
    expect(await me.auth.twoFactor.status()).toEqual({ enabled: false, setup: null, recoveryCodesLeft: 0 });
    expect((await anonymous(db, "192.0.2.62").auth.login({ email: person.user.email, password: PASSWORD })).twoFactor).toBe(false);
  });

  it("counts wrong attempts: after ten (passwords or codes), even the right pair is refused for a while", async () => {
    const person = await withTwoFactor("off-guessing");
    const now = at(120_000);
    const me = withSession(person.token, now);
    for (let i = 0; i < 10; i++) {
      const attempt = i % 2 ? { password: `guess ${i}`, code: "123456" } : { password: PASSWORD, code: String(100000 + i) };
      await expectCode(me.auth.twoFactor.disable(attempt), "BAD_REQUEST");
    }
    const refused = await expectCode(me.auth.twoFactor.disable({ password: PASSWORD, code: await totpCodeAt(person.secret, now) }), "TOO_MANY_REQUESTS");
    expect((refused.cause as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    expect((await me.auth.twoFactor.status()).enabled).toBe(true);
    // Fifteen minutes later the owner can.
    const later = at(120_000 + 16 * 60_000);
    await withSession(person.token, later).auth.twoFactor.disable({ password: PASSWORD, code: await totpCodeAt(person.secret, later) });
  });

  it("is turned off by the operator for someone who lost phone and codes, ending every session", async () => {
    const person = await withTwoFactor("lost-phone");
    expect(await operatorTurnOffTwoFactor(db, "nobody@example.test")).toBeNull();
    expect(await operatorTurnOffTwoFactor(db, ` ${person.user.email.toUpperCase()} `)).toEqual({ wasOn: true });
    await expectCode(withSession(person.token).auth.twoFactor.status(), "UNAUTHORIZED");
    expect(await db.selectFrom("recovery_codes").select("code_hash").where("user_id", "=", person.user.id).execute()).toEqual([]);
    expect((await visitor(at(60_000), "192.0.2.63").auth.login({ email: person.user.email, password: PASSWORD })).twoFactor).toBe(false);
    expect(await operatorTurnOffTwoFactor(db, person.user.email)).toEqual({ wasOn: false });
  });
});
