import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { freshDb } from "../support/db.js";
import { type Actor, Fuzzer } from "./harness.js";
import { filters, filtersEdge, idEdge, name, password, passwordEdge, period, periodEdge, scopeFields, siteVariants, uuid } from "./fields.js";
import { inputs, nastyString, wild } from "./inputs.js";
import { buildWorld, siteActors, type World } from "./world.js";

let w: World;
let fuzz: Fuzzer;
let actors: Actor[];

beforeAll(async () => {
  const db = await freshDb();
  w = await buildWorld(db);
  fuzz = new Fuzzer(db, "sharedLinks");
  actors = [...siteActors(w), w.actors.integration];
});

afterAll(() => fuzz?.report());

const site = () => fc.constantFrom(...siteVariants(w.domain), w.domain, w.otherDomain, "unknown.example");
const linkId = () => fc.oneof(fc.constantFrom(...Object.values(w.links).map((l) => l.id)), uuid);
const segmentId = () => fc.oneof(fc.constantFrom(...Object.values(w.segments), null), uuid);
const linkName = fc.oneof(name, fc.constantFrom("Open", "locked", " SEGMENTED "));
/** Mostly absent: every password given is an Argon2id hash (~30 ms). */
const rarely = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const edges = () => ({
  site: fc.oneof(nastyString, fc.constantFrom("https://shop.example", "shop.example\u0000")),
  id: idEdge,
  name: nastyString,
  password: passwordEdge,
  segmentId: fc.oneof(idEdge, fc.constantFrom("", false, 0)),
  integration: wild,
  includeIntegration: wild,
  expiresAt: wild,
  paused: wild,
  dateBounds: wild,
  visibleSections: wild,
  allowPeriodChange: wild,
  allowFilters: wild,
  allowExport: wild,
});

describe("shared link procedures answer any input with data or a 4xx, and never a partial write", () => {
  it("sharedLinks.list", () =>
    fuzz.run({
      path: "sharedLinks.list",
      mutation: false,
      runs: 300,
      actors,
      input: inputs(fc.record({ site: site(), includeIntegration: fc.boolean() }, { requiredKeys: ["site"] }), edges()),
    }));

  it("sharedLinks.get", () =>
    fuzz.run({ path: "sharedLinks.get", mutation: false, runs: 500, actors, input: inputs(fc.record({ site: site(), id: linkId() }), edges()) }));

  it("sharedLinks.create", () =>
    fuzz.run({
      path: "sharedLinks.create",
      mutation: true,
      runs: 400,
      actors,
      input: inputs(
        fc.record(
          { site: site(), name: linkName, password: rarely(password), segmentId: segmentId(), integration: fc.boolean(), ...scopeFields },
          { requiredKeys: ["site", "name"] },
        ),
        edges(),
      ),
    }));

  it("sharedLinks.update", () =>
    fuzz.run({
      path: "sharedLinks.update",
      mutation: true,
      runs: 400,
      actors,
      input: inputs(
        fc.record(
          { site: site(), id: linkId(), name: linkName, password: fc.oneof(rarely(password), fc.constant(null)), segmentId: segmentId(), ...scopeFields },
          { requiredKeys: ["site", "id"] },
        ),
        edges(),
      ),
    }));

  it("sharedLinks.usage", () =>
    fuzz.run({ path: "sharedLinks.usage", mutation: false, runs: 200, actors, input: inputs(fc.record({ site: site(), id: linkId() }), edges()) }));

  it("sharedLinks.createEmbedToken", () =>
    fuzz.run({
      path: "sharedLinks.createEmbedToken",
      mutation: true,
      runs: 200,
      actors,
      input: inputs(
        fc.record(
          { site: site(), id: linkId(), period, filters: filters(0, 3), ttlMinutes: fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.constant(1.5)) },
          { requiredKeys: ["site", "id"] },
        ),
        { ...edges(), period: periodEdge, filters: filtersEdge, ttlMinutes: wild },
      ),
    }));

  it("sharedLinks digest procedures", async () => {
    const ref = () => ({ site: site(), id: linkId() });
    const digestEdges = { ...edges(), frequency: wild, email: nastyString, recipientId: idEdge };
    await fuzz.run({ path: "sharedLinks.digest", mutation: false, runs: 100, actors, input: inputs(fc.record(ref()), digestEdges) });
    await fuzz.run({
      path: "sharedLinks.setDigestSchedule",
      mutation: true,
      runs: 150,
      actors,
      input: inputs(fc.record({ ...ref(), frequency: fc.constantFrom("weekly", "monthly", null) }), digestEdges),
    });
    await fuzz.run({
      path: "sharedLinks.addDigestRecipient",
      mutation: true,
      runs: 200,
      actors,
      input: inputs(
        fc.record({ ...ref(), email: fc.oneof(fc.emailAddress(), fc.constantFrom("ann@board.example", "ANN@board.example ")), name: fc.oneof(name, fc.constant("")) }, { requiredKeys: ["site", "id", "email"] }),
        digestEdges,
      ),
    });
    for (const path of ["sharedLinks.removeDigestRecipient", "sharedLinks.sendDigestPreview", "sharedLinks.resendDigestConfirmation"]) {
      await fuzz.run({ path, mutation: true, runs: 100, actors, input: inputs(fc.record({ ...ref(), recipientId: uuid }), digestEdges) });
    }
    await fuzz.run({ path: "sharedLinks.sendDigestPreviewToMe", mutation: true, runs: 100, actors, input: inputs(fc.record(ref()), digestEdges) });
  });

  it("sharedLinks.delete", () =>
    fuzz.run({ path: "sharedLinks.delete", mutation: true, runs: 400, actors, input: inputs(fc.record({ site: site(), id: linkId() }), edges()) }));
});
