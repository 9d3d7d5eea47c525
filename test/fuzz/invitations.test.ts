import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../../server/root.js";
import { member } from "../support/actors.js";
import { freshDb } from "../support/db.js";
import { testContext } from "../support/services.js";
import { type Actor, Fuzzer } from "./harness.js";
import { idEdge, password, passwordEdge, siteVariants, uuid } from "./fields.js";
import { inputs, nastyString, wild } from "./inputs.js";
import { buildWorld, type World } from "./world.js";

let db: Db;
let w: World;
let fuzz: Fuzzer;
let actors: Actor[];
let invitationIds: string[];
let foreignInvitation: string;
let liveToken: string;
let members: string[];

/** A caller for a session that is refused at once (no pause): the fuzz reaches the invitation caps on purpose. */
const unpaused = (name: string, sessionToken: string, ip: string): Actor => ({
  name,
  get caller() {
    return createCaller(testContext({ db, sessionToken, ip, pauses: false }));
  },
});

beforeAll(async () => {
  db = await freshDb();
  w = await buildWorld(db);
  fuzz = new Fuzzer(db, "invitations");
  const site = await db.selectFrom("sites").select("id").where("domain", "=", w.domain).executeTakeFirstOrThrow();
  const admin = await member(db, site.id, "admin");
  members = [admin.user.id, (await member(db, site.id, "viewer")).user.id];
  const owner = unpaused("owner", w.owner.token, "198.51.100.20");
  // Pending invitations to resend and revoke (mail is off here, so each answer carries its link).
  const made = await Promise.all(["a", "b", "c"].map((n) => owner.caller.invitations.create({ site: w.domain, email: `pending-${n}@fuzz.example`, role: "viewer" })));
  invitationIds = made.map((m) => m.id);
  liveToken = made[0]!.link!.split("/").pop()!;
  foreignInvitation = (await w.actors.outsider.caller.invitations.create({ site: w.otherDomain, email: "theirs@fuzz.example", role: "admin" })).id;
  actors = [owner, owner, unpaused("admin", admin.token, "198.51.100.22"), w.actors.viewer, w.actors.outsider, w.actors.anonymous, w.actors.apiKey];
});

afterAll(() => fuzz?.report());

const site = () => fc.constantFrom(...siteVariants(w.domain), w.otherDomain, "unknown.example");
const siteEdge = fc.oneof(nastyString, fc.constantFrom("https://shop.example", "shop.example\u0000", "%"));
const email = () =>
  fc.oneof(
    fc.emailAddress(),
    fc.stringMatching(/^[a-z0-9._+-]{1,16}$/).map((local) => `${local}@invitee.example`),
    fc.constantFrom(w.owner.user.email, "pending-a@fuzz.example", "PENDING-B@fuzz.example"),
  );
const emailEdge = fc.oneof(nastyString, fc.constantFrom("a@b", "@", "a@", `${"a".repeat(250)}@b.io`, "you@example.com\u0000", "you@exa mple.com"));
const role = fc.constantFrom("viewer", "admin");
const roleEdge = fc.oneof(nastyString, fc.constantFrom("owner", "Owner", "ADMIN", "viewer ", "superuser"));
const invitationId = () => fc.oneof(fc.constantFrom(...invitationIds, foreignInvitation), uuid);
const token = () => fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.constantFrom(liveToken, "x".repeat(20), "x".repeat(101), "../../etc/passwd", "a b"));
const memberId = () => fc.oneof(fc.constantFrom(...members, w.owner.user.id), uuid);

describe("invitation and member procedures answer any input with data or a 4xx, and never a partial write", () => {
  it("invitations.list", () => fuzz.run({ path: "invitations.list", mutation: false, runs: 200, actors, input: inputs(fc.record({ site: site() }), { site: siteEdge }) }));

  it("invitations.create", () =>
    fuzz.run({
      path: "invitations.create",
      mutation: true,
      // Twenty invitations an hour per account, then refusals (answered at once here).
      runs: 120,
      actors,
      input: inputs(fc.record({ site: site(), email: email(), role }), { site: siteEdge, email: emailEdge, role: roleEdge }),
    }));

  it("invitations.resend", () =>
    fuzz.run({ path: "invitations.resend", mutation: true, runs: 120, actors, input: inputs(fc.record({ site: site(), id: invitationId() }), { site: siteEdge, id: idEdge }) }));

  it("invitations.get", () => fuzz.run({ path: "invitations.get", mutation: false, runs: 300, actors, input: inputs(fc.record({ token: token() }), { token: nastyString }) }));

  it("invitations.accept", () => fuzz.run({ path: "invitations.accept", mutation: true, runs: 300, actors, input: inputs(fc.record({ token: token() }), { token: nastyString }) }));

  it("invitations.acceptWithPassword", () =>
    fuzz.run({
      path: "invitations.acceptWithPassword",
      mutation: true,
      runs: 200,
      actors: [w.actors.anonymous, ...actors],
      input: inputs(fc.record({ token: token(), password }), { token: nastyString, password: passwordEdge }),
    }));

  it("sites.members.setRole", () =>
    fuzz.run({
      path: "sites.members.setRole",
      mutation: true,
      runs: 300,
      actors,
      input: inputs(fc.record({ site: site(), userId: memberId(), role }), { site: siteEdge, userId: idEdge, role: roleEdge }),
    }));

  it("sites.members.remove", () =>
    fuzz.run({ path: "sites.members.remove", mutation: true, runs: 200, actors, input: inputs(fc.record({ site: site(), userId: memberId() }), { site: siteEdge, userId: idEdge }) }));

  // Last: revoking uses up the pending invitations the targets above aim at.
  it("invitations.revoke", () =>
    fuzz.run({ path: "invitations.revoke", mutation: true, runs: 200, actors, input: inputs(fc.record({ site: site(), id: invitationId() }), { site: siteEdge, id: idEdge }) }));

  it("wild input to every new procedure", async () => {
    for (const path of ["invitations.list", "invitations.get"]) await fuzz.run({ path, mutation: false, runs: 50, actors, input: wild });
    for (const path of ["invitations.create", "invitations.resend", "invitations.revoke", "invitations.accept", "invitations.acceptWithPassword", "sites.members.setRole"]) {
      await fuzz.run({ path, mutation: true, runs: 50, actors, input: wild });
    }
  });
});
