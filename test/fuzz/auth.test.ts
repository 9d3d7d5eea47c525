import { TRPCError } from "@trpc/server";
import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../../server/root.js";
import { signedIn } from "../support/actors.js";
import { freshDb } from "../support/db.js";
import { type Actor, type Caller, Fuzzer, type Target } from "./harness.js";
import { idEdge, password, passwordEdge, uuid } from "./fields.js";
import { inputs, nastyString, wild } from "./inputs.js";
import { ACCOUNT_PASSWORD, buildWorld, type World } from "./world.js";
import { testContext } from "../support/services.js";

let db: Db;
let w: World;
let fuzz: Fuzzer;
let everyone: Actor[];

beforeAll(async () => {
  db = await freshDb();
  w = await buildWorld(db);
  fuzz = new Fuzzer(db, "auth+system");
  everyone = Object.values(w.actors);
});

afterAll(() => fuzz?.report());

const run = (target: Omit<Target, "actors"> & { actors?: Actor[] }) => fuzz.run({ actors: everyone, ...target });

const email = () =>
  fc.oneof(
    fc.emailAddress(),
    fc.stringMatching(/^[a-z0-9._+-]{1,16}$/).map((local) => `${local}@fuzz.example`),
    fc.constantFrom(w.owner.user.email, w.owner.user.email.toUpperCase(), ` ${w.owner.user.email} `),
  );
const emailEdge = fc.oneof(nastyString, fc.constantFrom("a@b", "@", "a@", "@b.c", `${"a".repeat(250)}@b.io`, "you@example.com\u0000", "\u0000@example.com", "you@exa mple.com", "you@[127.0.0.1]"));

// Every procedure that hashes (signup, login) gets a few hundred runs: each hash costs ~30 ms.
describe("auth and system procedures answer any input with data or a 4xx, and never a partial write", () => {
  it("auth.signup", () =>
    run({
      path: "auth.signup",
      mutation: true,
      runs: 200,
      actors: [w.actors.anonymous, w.actors.owner],
      input: inputs(fc.record({ email: email(), password }), { email: emailEdge, password: passwordEdge }),
    }));

  it("auth.login", () =>
    run({
      path: "auth.login",
      mutation: true,
      runs: 200,
      actors: [w.actors.anonymous, w.actors.outsider],
      input: inputs(fc.record({ email: email(), password: fc.oneof(fc.constant(ACCOUNT_PASSWORD), password) }), {
        email: emailEdge,
        password: fc.oneof(passwordEdge, fc.constantFrom("x".repeat(1025), ACCOUNT_PASSWORD.toUpperCase(), ` ${ACCOUNT_PASSWORD}`)),
      }),
    }));

  it("auth.me", () => run({ path: "auth.me", mutation: false, runs: 300, input: wild }));

  it("auth.apiKeys.list", () => run({ path: "auth.apiKeys.list", mutation: false, runs: 300, input: wild }));

  it("auth.apiKeys.create", () =>
    run({
      path: "auth.apiKeys.create",
      mutation: true,
      runs: 600,
      input: inputs(fc.record({ name: fc.string({ unit: "grapheme", minLength: 1, maxLength: 100 }), integration: fc.boolean() }, { requiredKeys: ["name"] }), {
        name: fc.oneof(nastyString, fc.constantFrom("a".repeat(101), "🎉".repeat(101), " Padded ")),
        integration: wild,
      }),
    }));

  it("auth.apiKeys.revoke", () =>
    run({
      path: "auth.apiKeys.revoke",
      mutation: true,
      runs: 500,
      input: inputs(fc.record({ id: fc.oneof(fc.constantFrom(...w.keys.spare, w.keys.foreign), uuid) }), { id: idEdge }),
    }));

  it("auth.resetByMail", () => run({ path: "auth.resetByMail", mutation: false, runs: 100, input: wild }));

  it("auth.requestPasswordReset", () =>
    run({
      path: "auth.requestPasswordReset",
      mutation: true,
      // Ten requests an hour per network: past them every answer is a paused refusal (seconds each).
      runs: 14,
      input: inputs(fc.record({ email: email() }), { email: emailEdge }),
    }));

  const linkToken = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.constantFrom("x".repeat(20), "x".repeat(101), "../../etc/passwd", "a b"));

  it("auth.resetTarget", () => run({ path: "auth.resetTarget", mutation: false, runs: 300, input: inputs(fc.record({ token: linkToken }), { token: nastyString }) }));

  it("auth.resetPassword", () =>
    run({
      path: "auth.resetPassword",
      mutation: true,
      runs: 200,
      input: inputs(fc.record({ token: linkToken, password }), { token: nastyString, password: passwordEdge }),
    }));

  const code = fc.oneof(fc.stringMatching(/^\d{6}$/), fc.stringMatching(/^[a-z2-9]{5}-[a-z2-9]{5}$/), fc.constantFrom("", " ", "1234567", "x".repeat(41)));
  const pending = fc.oneof(fc.string({ maxLength: 60 }), fc.stringMatching(/^[A-Za-z0-9_-]{10,80}\.[A-Za-z0-9_-]{43}$/), fc.constant("x".repeat(1001)));

  it("auth.loginCode", () =>
    run({ path: "auth.loginCode", mutation: true, runs: 300, input: inputs(fc.record({ pending, code }), { pending: nastyString, code: nastyString }) }));

  const confirmationToken = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{20,120}\.[A-Za-z0-9_-]{43}$/), fc.string({ maxLength: 80 }), fc.constant("x".repeat(501)));

  it("auth.email.status", () => run({ path: "auth.email.status", mutation: false, runs: 100, input: wild }));
  it("auth.email.sendConfirmation", () => run({ path: "auth.email.sendConfirmation", mutation: true, runs: 30, input: wild }));
  it("auth.email.target", () => run({ path: "auth.email.target", mutation: false, runs: 300, input: inputs(fc.record({ token: confirmationToken }), { token: nastyString }) }));
  it("auth.email.confirm", () => run({ path: "auth.email.confirm", mutation: true, runs: 300, input: inputs(fc.record({ token: confirmationToken }), { token: nastyString }) }));

  it("auth.sessions.list", () => run({ path: "auth.sessions.list", mutation: false, runs: 200, input: wild }));

  // Never the accounts' real password: a change would end the sessions the other targets use.
  it("auth.changePassword", () =>
    run({
      path: "auth.changePassword",
      mutation: true,
      // Ten wrong current passwords per account, then paused refusals.
      runs: 24,
      input: inputs(fc.record({ currentPassword: password, password, endOtherSessions: fc.boolean() }, { requiredKeys: ["currentPassword", "password"] }), {
        currentPassword: passwordEdge,
        password: passwordEdge,
        endOtherSessions: wild,
      }),
    }));

  it("auth.twoFactor.status", () => run({ path: "auth.twoFactor.status", mutation: false, runs: 200, input: wild }));
  it("auth.twoFactor.start", () => run({ path: "auth.twoFactor.start", mutation: true, runs: 100, input: wild }));
  it("auth.twoFactor.confirm", () =>
    // Each well-formed try checks a password and counts against the account (10 in 15 minutes):
    // past them every answer is a paused refusal (seconds each).
    run({ path: "auth.twoFactor.confirm", mutation: true, runs: 40, input: inputs(fc.record({ code, password }), { code: nastyString, password: passwordEdge }) }));
  it("auth.twoFactor.disable", () =>
    run({
      path: "auth.twoFactor.disable",
      mutation: true,
      runs: 100,
      input: inputs(fc.record({ password, code }), { password: passwordEdge, code: nastyString }),
    }));

  it("system.health", () => run({ path: "system.health", mutation: false, runs: 300, input: wild }));

  it("auth.sessions.endOthers", async () => {
    const throwaway = await signedIn(db, "ending-others");
    await run({ path: "auth.sessions.endOthers", mutation: true, runs: 100, actors: [{ name: "signed in", caller: throwaway.caller }, w.actors.anonymous, w.actors.apiKey], input: wild });
  });

  // Last: logging out ends the sessions of the callers that make it.
  it("auth.logout", async () => {
    const throwaway = await signedIn(db, "leaving");
    const stranger = createCaller(testContext({ db, sessionToken: "not-a-real-session-token", ip: "198.51.100.9" }));
    await run({
      path: "auth.logout",
      mutation: true,
      runs: 300,
      actors: [{ name: "signed in", caller: throwaway.caller }, { name: "unknown session", caller: stranger }, w.actors.anonymous, w.actors.apiKey],
      input: wild,
    });
  });
});

describe("the fuzz harness", () => {
  const reject = () => {
    throw new TRPCError({ code: "BAD_REQUEST", message: "Rejected" });
  };
  const fake = (procedures: Record<string, () => Promise<unknown>>): Actor[] => [{ name: "fake", caller: { fake: procedures } as unknown as Caller }];
  const probe = (procedure: string, mutation = true) =>
    new Fuzzer(db, "self-test").run({ path: `fake.${procedure}`, mutation, runs: 3, input: fc.constant(null), actors: fakes });
  let fakes: Actor[];
  beforeAll(() => {
    fakes = fake({
      writesThenRejects: async () => {
        await db.insertInto("sites").values({ domain: `partial-${Math.random().toString(36).slice(2)}.example`, timezone: "UTC" }).execute();
        reject();
      },
      rollsBackThenRejects: () =>
        db.transaction().execute(async (trx) => {
          await trx.insertInto("sites").values({ domain: "rolled-back.example", timezone: "UTC" }).execute();
          reject();
        }),
      countsThenRejects: async () => {
        await sql`insert into rate_limit_hits (key, bucket, hits) values ('self-test', now(), 1) on conflict do nothing`.execute(db);
        reject();
      },
      throwsRaw: () => sql`select 1/0`.execute(db),
      failsInside: async () => {
        throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "division by zero" });
      },
    });
  });

  it("reports a rejected call that still wrote", () => expect(probe("writesThenRejects")).rejects.toThrow(/partial write: BAD_REQUEST .* changed sites/));
  it("accepts a rejection whose writes were rolled back or only counted", async () => {
    await probe("rollsBackThenRejects");
    await probe("countsThenRejects");
  });
  it("reports an internal error, and anything that is not a TRPCError", async () => {
    await expect(probe("failsInside", false)).rejects.toThrow(/internal error: INTERNAL_SERVER_ERROR/);
    await expect(probe("throwsRaw", false)).rejects.toThrow(/not a TRPCError: \w*: division by zero/);
  });
});
