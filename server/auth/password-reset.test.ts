import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../root.js";
import { anonymous, expectCode, sessionOf, signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { testContext } from "../../test/support/services.js";
import { type Inbox, recipientsOf, startSmtp } from "../../test/support/smtp.js";
import { RESET_LINK_DEAD } from "./password-reset.js";
import { RESET_SUBJECT } from "./reset-email.js";
import { sha256Hex } from "./tokens.js";
import { confirmTwoFactor, startTwoFactorSetup, totpCodeAt } from "./totp.js";
import { createApiKey, SESSION_ENDED } from "./api-keys.js";
import { UNPROVEN_ADDRESS } from "./email-confirmation.js";
import { createSession, PASSWORD_CHANGED_MEANWHILE } from "./sessions.js";
import { TOO_MANY_CODES_FOR_ACCOUNT } from "./users.js";
import { WRONG_CODE_SUBJECT } from "./wrong-code-email.js";

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "a brand new long password";

let db: Db;
let smtp: Inbox;

beforeAll(async () => {
  smtp = await startSmtp();
  process.env.SMTP_URL = smtp.url;
  db = await freshDb();
});

afterAll(async () => {
  delete process.env.SMTP_URL;
  await smtp.close();
});

beforeEach(() => {
  smtp.received.length = 0;
});

/** Someone without a session, from `ip`, at `now`. */
const visitor = (ip: string, now = new Date()) => createCaller(testContext({ db, ip, now, pauses: false }));

/** The mails received within a second (the reset mail leaves after the answer). */
async function mailsAfterAMoment(expected: number) {
  for (let i = 0; i < 50 && smtp.received.length < expected; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 50));
  return smtp.take();
}

function tokenOf(text: string | undefined): string {
  const match = /\/reset-password\/([A-Za-z0-9_-]{43})\b/.exec(text ?? "");
  if (!match) throw new Error("no reset link in the mail");
  return match[1]!;
}

async function requestLink(email: string, ip: string, now = new Date()) {
  await visitor(ip, now).auth.requestPasswordReset({ email });
  const [mail] = await mailsAfterAMoment(1);
  return tokenOf(mail?.text);
}

describe("password reset by mail", () => {
  it("answers the same for an address with and without an account, and mails only the account, a link stored as a hash", async () => {
    const { user } = await signedIn(db, "forgetful");
    const known = await visitor("192.0.2.1").auth.requestPasswordReset({ email: ` ${user.email.toUpperCase()} ` });
    const unknown = await visitor("192.0.2.1").auth.requestPasswordReset({ email: "nobody@example.test" });
    expect(known).toEqual({ mailEnabled: true });
    expect(unknown).toEqual(known);
    const mails = await mailsAfterAMoment(2);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe(RESET_SUBJECT);
    expect(recipientsOf(mails[0]!)).toEqual([user.email]);
    const token = tokenOf(mails[0]!.text);
    const stored = await db.selectFrom("password_resets").select(["token_hash", "expires_at"]).where("user_id", "=", user.id).execute();
    expect(stored.map((r) => r.token_hash)).toEqual([sha256Hex(token)]);
    expect(await visitor("192.0.2.1").auth.resetTarget({ token })).toEqual({ email: user.email });
  });

  it("sets the new password once, ends every session, and the old password stops working", async () => {
    const person = await signedIn(db, "reset");
    const other = await sessionOf(anonymous(db, "192.0.2.30").auth.login({ email: person.user.email, password: PASSWORD }));
    const token = await requestLink(person.user.email, "192.0.2.2");
    expect(await visitor("192.0.2.2").auth.resetPassword({ token, password: NEW_PASSWORD })).toEqual({ email: person.user.email, unprovenCleared: false });
    expect(await person.caller.auth.me()).toBeNull();
    expect(await createCaller(testContext({ db, sessionToken: other.token })).auth.me()).toBeNull();
    expect(await db.selectFrom("sessions").select("id").where("user_id", "=", person.user.id).execute()).toEqual([]);
    const again = await expectCode(visitor("192.0.2.2").auth.resetPassword({ token, password: "yet another long password" }), "BAD_REQUEST");
    expect(again.message).toBe(RESET_LINK_DEAD);
    expect(await visitor("192.0.2.2").auth.resetTarget({ token })).toBeNull();
    await expectCode(anonymous(db, "192.0.2.31").auth.login({ email: person.user.email, password: PASSWORD }), "UNAUTHORIZED");
    const { token: session } = await sessionOf(anonymous(db, "192.0.2.31").auth.login({ email: person.user.email, password: NEW_PASSWORD }));
    expect(await createCaller(testContext({ db, sessionToken: session })).auth.me()).toMatchObject({ email: person.user.email });
  });

  it("lets two submissions of one link change the password only once", async () => {
    const person = await signedIn(db, "raced-reset");
    const token = await requestLink(person.user.email, "192.0.2.3");
    const results = await Promise.allSettled([
      visitor("192.0.2.3").auth.resetPassword({ token, password: "first long new password" }),
      visitor("192.0.2.4").auth.resetPassword({ token, password: "second long new password" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("is dead after one hour, and once the password changes by another link", async () => {
    const person = await signedIn(db, "late");
    const at = new Date("2026-03-01T10:00:00Z");
    const first = await requestLink(person.user.email, "192.0.2.5", at);
    const later = new Date(at.getTime() + 60 * 60_000);
    expect(await visitor("192.0.2.5", later).auth.resetTarget({ token: first })).toBeNull();
    expect((await expectCode(visitor("192.0.2.5", later).auth.resetPassword({ token: first, password: NEW_PASSWORD }), "BAD_REQUEST")).message).toBe(RESET_LINK_DEAD);
    const almost = new Date(later.getTime() - 1000);
    expect(await visitor("192.0.2.5", almost).auth.resetTarget({ token: first })).toEqual({ email: person.user.email });
    const second = await requestLink(person.user.email, "192.0.2.5", at);
    await visitor("192.0.2.5", at).auth.resetPassword({ token: second, password: NEW_PASSWORD });
    expect(await visitor("192.0.2.5", at).auth.resetTarget({ token: first })).toBeNull();
  });

  it("applies the sign-up password policy and refuses tokens of any other shape", async () => {
    const person = await signedIn(db, "policy");
    const token = await requestLink(person.user.email, "192.0.2.6");
    const short = await expectCode(visitor("192.0.2.6").auth.resetPassword({ token, password: "too short" }), "BAD_REQUEST");
    expect(short.message).toBe("Password must be at least 12 characters");
    expect(await visitor("192.0.2.6").auth.resetTarget({ token })).toEqual({ email: person.user.email });
    await expectCode(visitor("192.0.2.6").auth.resetTarget({ token: "../../etc" }), "BAD_REQUEST");
    const unknown = await expectCode(visitor("192.0.2.6").auth.resetPassword({ token: "x".repeat(43), password: NEW_PASSWORD }), "BAD_REQUEST");
    expect(unknown.message).toBe(RESET_LINK_DEAD);
  });

  it("limits requests per address wherever they come from, and per network", async () => {
    const person = await signedIn(db, "popular");
    for (let i = 0; i < 3; i++) await visitor(`198.51.100.${i + 1}`).auth.requestPasswordReset({ email: person.user.email });
    const perAddress = await expectCode(visitor("198.51.100.9").auth.requestPasswordReset({ email: person.user.email }), "TOO_MANY_REQUESTS");
    expect(perAddress.message).toMatch(/for this address/);
    expect(await mailsAfterAMoment(3)).toHaveLength(3);
    for (let i = 0; i < 10; i++) await visitor("198.51.100.50").auth.requestPasswordReset({ email: `stranger-${i}@example.test` });
    const perNetwork = await expectCode(visitor("198.51.100.50").auth.requestPasswordReset({ email: "one-more@example.test" }), "TOO_MANY_REQUESTS");
    expect(perNetwork.message).toMatch(/from your network/);
  });

  it("takes an account back from whoever signed up with the address first: no keys or two-factor before it is proven, and any from before end", async () => {
    // Someone signs up with a stranger's address: until the address is proven, no key and no two-factor sign-in.
    const email = `squatted-${Date.now()}@example.test`;
    const { token: squatterSession, user } = await anonymous(db, "203.0.113.70").auth.signup({ email, password: PASSWORD });
    const squatter = createCaller(testContext({ db, sessionToken: squatterSession, ip: "203.0.113.70", pauses: false }));
    expect((await expectCode(squatter.auth.apiKeys.create({ name: "kept" }), "CONFLICT")).message).toBe(UNPROVEN_ADDRESS);
    expect((await expectCode(squatter.auth.twoFactor.start(), "CONFLICT")).message).toBe(UNPROVEN_ADDRESS);
    // An account that got them before this rule (or before mail was on): a key and two-factor sign-in with the squatter's phone.
    const { key } = await createApiKey(db, user.id, { name: "kept" });
    await startTwoFactorSetup(db, user.id);
    const { setup } = await squatter.auth.twoFactor.status();
    await confirmTwoFactor(db, user.id, { code: await totpCodeAt(setup!.secret, new Date()), password: PASSWORD }, new Date());
    const byKey = () => createCaller(testContext({ db, apiKey: key })).auth.me();
    expect(await byKey()).toMatchObject({ email });

    // The owner of the address resets the password from the mailed link: the first proof that the address is theirs.
    const token = await requestLink(email, "192.0.2.40");
    expect(await visitor("192.0.2.40").auth.resetPassword({ token, password: NEW_PASSWORD })).toEqual({ email, unprovenCleared: true });
    expect(await byKey()).toBeNull();
    expect(await createCaller(testContext({ db, sessionToken: squatterSession })).auth.me()).toBeNull();
    const login = await anonymous(db, "192.0.2.41").auth.login({ email, password: NEW_PASSWORD });
    expect(login.twoFactor).toBe(false);
    expect(await db.selectFrom("recovery_codes").select("user_id").where("user_id", "=", user.id).execute()).toEqual([]);

    // Proven now: the owner makes keys, and a later reset leaves them alone.
    const owner = createCaller(testContext({ db, sessionToken: (await sessionOf(anonymous(db, "192.0.2.41").auth.login({ email, password: NEW_PASSWORD }))).token, pauses: false }));
    const { key: ownKey } = await owner.auth.apiKeys.create({ name: "mine" });
    const again = await requestLink(email, "192.0.2.42");
    expect(await visitor("192.0.2.42").auth.resetPassword({ token: again, password: "the third long password" })).toEqual({ email, unprovenCleared: false });
    expect(await createCaller(testContext({ db, apiKey: ownKey })).auth.me()).toMatchObject({ email });
  });

  it("gives no session to a sign-in that checked the password before a reset, nor a key to a session the reset ended", async () => {
    const person = await signedIn(db, "in-flight");
    const { password_changed_at: seen } = await db.selectFrom("users").select("password_changed_at").where("id", "=", person.user.id).executeTakeFirstOrThrow();
    const token = await requestLink(person.user.email, "192.0.2.50");
    await visitor("192.0.2.50").auth.resetPassword({ token, password: NEW_PASSWORD });
    // What the sign-in does after its password check, once the reset has committed.
    expect((await createSession(db, person.user.id, new Date(), "", seen).catch((error: Error) => error)) as Error).toMatchObject({ message: PASSWORD_CHANGED_MEANWHILE });
    expect((await createApiKey(db, person.user.id, { name: "late" }, sha256Hex(person.token)).catch((error: Error) => error)) as Error).toMatchObject({ message: SESSION_ENDED });
    expect(await db.selectFrom("api_keys").select("id").where("user_id", "=", person.user.id).execute()).toEqual([]);
  });
});

describe("wrong two-factor codes after a right password", () => {
  it("are limited to twenty per account from everywhere, tell the owner once, and end with a new password", async () => {
    const person = await signedIn(db, "guessed-code");
    const me = createCaller(testContext({ db, sessionToken: person.token, pauses: false }));
    await me.auth.twoFactor.start();
    const secret = (await me.auth.twoFactor.status()).setup!.secret;
    const { recoveryCodes } = await me.auth.twoFactor.confirm({ code: await totpCodeAt(secret, new Date()), password: PASSWORD });
    const pendingFrom = async (ip: string, password = PASSWORD) => {
      const result = await visitor(ip).auth.login({ email: person.user.email, password });
      if (!result.twoFactor) throw new Error("expected a request for a code");
      return result.pending;
    };
    const wrong = async () => {
      const right = await totpCodeAt(secret, new Date());
      return ["000001", "000002"].find((c) => c !== right)!;
    };
    // Someone with the password guesses from two networks, ten each: each network's own limit.
    for (const ip of ["203.0.113.81", "203.0.113.82"]) {
      const pending = await pendingFrom(ip);
      for (let i = 0; i < 10; i++) await expectCode(visitor(ip).auth.loginCode({ pending, code: await wrong() }), "UNAUTHORIZED");
    }
    // The account's own ceiling is reached: a third network is refused too.
    const third = await pendingFrom("203.0.113.83");
    const refused = await expectCode(visitor("203.0.113.83").auth.loginCode({ pending: third, code: await wrong() }), "TOO_MANY_REQUESTS");
    expect(refused.message).toBe(TOO_MANY_CODES_FOR_ACCOUNT);
    const notices = await mailsAfterAMoment(1);
    expect(notices.map((m) => m.subject)).toEqual([WRONG_CODE_SUBJECT]);
    expect(recipientsOf(notices[0]!)).toEqual([person.user.email]);
    expect(notices[0]!.text).toContain("/forgot-password");

    // The owner, from a network of their own, is not kept out: recovery codes have a count of their own.
    const owners = await pendingFrom("192.0.2.89");
    await expectCode(visitor("192.0.2.89").auth.loginCode({ pending: owners, code: "aaaaa-aaaaa" }), "UNAUTHORIZED");
    const byRecovery = await visitor("192.0.2.89").auth.loginCode({ pending: owners, code: recoveryCodes[0]! });
    expect(byRecovery.user.email).toBe(person.user.email);

    // The owner takes the hint: a new password by mail ends the guessers' sign-ins and the count.
    const token = await requestLink(person.user.email, "192.0.2.90");
    await visitor("192.0.2.90").auth.resetPassword({ token, password: NEW_PASSWORD });
    await expectCode(visitor("203.0.113.83").auth.loginCode({ pending: third, code: await totpCodeAt(secret, new Date()) }), "UNAUTHORIZED");
    const own = await pendingFrom("192.0.2.91", NEW_PASSWORD);
    const signedInAgain = await visitor("192.0.2.91").auth.loginCode({ pending: own, code: await totpCodeAt(secret, new Date(Date.now() + 30_000)) });
    expect(signedInAgain.user.email).toBe(person.user.email);
  });
});
