import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { SECTIONS } from "../../server/schemas/link-scope.js";
import { MAX_VIEW_FILTERS } from "../../server/schemas/stats.js";
import { freshDb } from "../support/db.js";
import { type Actor, Fuzzer } from "./harness.js";
import { dimension, dimensionEdge, filters, filtersEdge, limit, limitEdge, password, period, periodEdge } from "./fields.js";
import { inputs, nastyString } from "./inputs.js";
import { buildWorld, LINK_PASSWORD, type World } from "./world.js";

let w: World;
let fuzz: Fuzzer;
let visitors: Actor[];

beforeAll(async () => {
  const db = await freshDb();
  w = await buildWorld(db);
  fuzz = new Fuzzer(db, "share");
  const { anonymous, unlocked, tampered, owner } = w.actors;
  visitors = [anonymous, unlocked, tampered, owner];
});

afterAll(() => fuzz?.report());

const slug = () =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...Object.values(w.links).map((l) => l.slug)) },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{21}$/) },
    { weight: 1, arbitrary: fc.constantFrom(...Object.values(w.links).map((l) => l.slug.toUpperCase()), `${w.links.open.slug} `, w.links.open.url) },
  );
const edges = {
  slug: fc.oneof(nastyString, fc.constantFrom("", "x".repeat(64), "x".repeat(65), "%", "_".repeat(21), "\u0000".repeat(21))),
  password: fc.oneof(nastyString, fc.constantFrom("", "x".repeat(1025), LINK_PASSWORD.toLowerCase(), ` ${LINK_PASSWORD}`)),
  period: periodEdge,
  filters: filtersEdge,
  dimension: dimensionEdge,
  limit: limitEdge,
  // The segment comes from the link, never from the input.
  segment: fc.constantFrom<unknown>(null, [], { filters: [] }),
  segmentFilters: fc.constantFrom<unknown>([], null),
  part: fc.oneof(nastyString, fc.constantFrom<unknown>("PAGE", "all", null, 1)),
  // The scope comes from the link, never from the input.
  visibleSections: fc.constantFrom<unknown>(["page"], null),
  dateBounds: fc.constantFrom<unknown>(null, { kind: "since", from: "1970-01-01" }),
};

describe("share procedures answer any input with data or a 4xx, and never a partial write", () => {
  it("share.resolve", () => fuzz.run({ path: "share.resolve", mutation: false, runs: 500, actors: visitors, input: inputs(fc.record({ slug: slug() }), edges) }));

  // Wrong passwords are counted on the link on purpose; the rate limit soon answers 429 before hashing.
  it("share.unlock", () =>
    fuzz.run({
      path: "share.unlock",
      mutation: true,
      runs: 300,
      actors: visitors,
      mayChange: ["shared_links.unlock_counters", "link_failed_unlocks"],
      input: inputs(fc.record({ slug: slug(), password: fc.oneof(fc.constant(LINK_PASSWORD), password) }), edges),
    }));

  it("share.stats", () =>
    fuzz.run({
      path: "share.stats",
      mutation: false,
      runs: 500,
      actors: visitors,
      input: inputs(fc.record({ slug: slug(), period, filters: filters(0, MAX_VIEW_FILTERS) }, { requiredKeys: ["slug", "period"] }), edges),
    }));

  it("share.revisit", () =>
    fuzz.run({
      path: "share.revisit",
      mutation: false,
      runs: 300,
      actors: visitors,
      input: inputs(fc.record({ slug: slug(), version: fc.string({ maxLength: 70 }) }), { ...edges, version: fc.oneof(nastyString, fc.constantFrom("", "x".repeat(65))) }),
    }));

  it("share.breakdown", () =>
    fuzz.run({
      path: "share.breakdown",
      mutation: false,
      runs: 500,
      actors: visitors,
      input: inputs(fc.record({ slug: slug(), period, filters: filters(0, MAX_VIEW_FILTERS), dimension, limit }, { requiredKeys: ["slug", "period", "dimension"] }), edges),
    }));

  it("share.export", () =>
    fuzz.run({
      path: "share.export",
      mutation: false,
      runs: 150,
      actors: visitors,
      input: inputs(
        fc.record({ slug: slug(), period, filters: filters(0, MAX_VIEW_FILTERS), part: fc.constantFrom("totals", "goals", ...SECTIONS) }, { requiredKeys: ["slug", "period"] }),
        edges,
      ),
    }));

  it("digests.subscription, unsubscribe, resubscribe, confirmation, confirm, decline (the token from a digest or confirmation email)", async () => {
    const token = fc.oneof(fc.string({ unit: fc.constantFrom(..."AZaz09_-"), minLength: 32, maxLength: 32 }), nastyString, fc.constantFrom("", "x".repeat(33)));
    const paths = [
      ["digests.subscription", false],
      ["digests.unsubscribe", true],
      ["digests.resubscribe", true],
      ["digests.confirmation", false],
      ["digests.confirm", true],
      ["digests.decline", true],
    ] as const;
    for (const [path, mutation] of paths) {
      await fuzz.run({ path, mutation, runs: 100, actors: visitors, input: inputs(fc.record({ token }), { token: nastyString }) });
    }
  });
});
