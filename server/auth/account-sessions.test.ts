import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../root.js";
import { anonymous, expectCode, sessionOf, signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { testContext } from "../../test/support/services.js";

const PASSWORD = "correct horse battery staple";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

let db: Db;
beforeAll(async () => {
  db = await freshDb();
});

const as = (token: string, userAgent = FIREFOX) => createCaller(testContext({ db, sessionToken: token, ip: "192.0.2.40", userAgent, pauses: false }));
const logIn = (email: string, userAgent: string, password = PASSWORD) => sessionOf(createCaller(testContext({ db, ip: "192.0.2.41", userAgent })).auth.login({ email, password }));

describe("one's sessions", () => {
  it("lists them with browser and system from the user agent, this browser first", async () => {
    const { user } = await signedIn(db, "many");
    const laptop = await logIn(user.email, FIREFOX);
    await logIn(user.email, SAFARI);
    const sessions = await as(laptop.token).auth.sessions.list();
    expect(sessions).toHaveLength(3);
    expect(sessions[0]).toMatchObject({ browser: "Firefox", os: "Linux", device: "Desktop", current: true });
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(sessions).toContainEqual(expect.objectContaining({ browser: "Safari", os: "iOS", device: "Mobile", current: false }));
    expect(Object.keys(sessions[0]!).sort()).toEqual(["browser", "createdAt", "current", "device", "lastSeenAt", "os"]);
  });

  it("logs out everywhere else, and this browser stays in", async () => {
    const person = await signedIn(db, "leaving");
    const laptop = await logIn(person.user.email, FIREFOX);
    const phone = await logIn(person.user.email, SAFARI);
    expect(await as(laptop.token).auth.sessions.endOthers()).toEqual({ ended: 2 });
    expect(await as(laptop.token).auth.me()).toMatchObject({ email: person.user.email });
    expect(await as(phone.token).auth.me()).toBeNull();
    expect(await person.caller.auth.me()).toBeNull();
    expect(await as(laptop.token).auth.sessions.list()).toHaveLength(1);
  });

  it("is for a person at a browser: an API key or no session gets nothing", async () => {
    const person = await signedIn(db, "keyed");
    const { key } = await person.caller.auth.apiKeys.create({ name: "Script" });
    await expectCode(createCaller(testContext({ db, apiKey: key })).auth.sessions.list(), "FORBIDDEN");
    await expectCode(createCaller(testContext({ db, apiKey: key })).auth.sessions.endOthers(), "FORBIDDEN");
    await expectCode(anonymous(db).auth.sessions.list(), "UNAUTHORIZED");
  });
});

describe("changing the password", () => {
  it("needs the current password and the sign-up policy, and ends the other sessions when asked", async () => {
    const person = await signedIn(db, "changer");
    const laptop = await logIn(person.user.email, FIREFOX);
    const wrong = await expectCode(as(laptop.token).auth.changePassword({ currentPassword: "not it at all", password: "the new long password" }), "BAD_REQUEST");
    expect(wrong.message).toBe("The current password is not right");
    await expectCode(as(laptop.token).auth.changePassword({ currentPassword: PASSWORD, password: "short" }), "BAD_REQUEST");
    await as(laptop.token).auth.changePassword({ currentPassword: PASSWORD, password: "the new long password", endOtherSessions: true });
    expect(await as(laptop.token).auth.me()).toMatchObject({ email: person.user.email });
    expect(await person.caller.auth.me()).toBeNull();
    await expectCode(logIn(person.user.email, FIREFOX), "UNAUTHORIZED");
    await logIn(person.user.email, FIREFOX, "the new long password");
  });

  it("keeps the other sessions when told to, and kills reset links either way", async () => {
    const person = await signedIn(db, "keeper");
    const laptop = await logIn(person.user.email, FIREFOX);
    const { createPasswordReset, resetTarget } = await import("./password-reset.js");
    const token = await createPasswordReset(db, person.user.id, new Date());
    await as(laptop.token).auth.changePassword({ currentPassword: PASSWORD, password: "kept sessions password", endOtherSessions: false });
    expect(await person.caller.auth.me()).toMatchObject({ email: person.user.email });
    expect(await resetTarget(db, token, new Date())).toBeNull();
  });

  it("limits wrong current passwords per account", async () => {
    const person = await signedIn(db, "guessed");
    for (let i = 0; i < 10; i++) await expectCode(person.caller.auth.changePassword({ currentPassword: `guess ${i}`, password: "whatever long password" }), "BAD_REQUEST");
    await expectCode(person.caller.auth.changePassword({ currentPassword: PASSWORD, password: "whatever long password" }), "TOO_MANY_REQUESTS");
  });
});
