import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { timezones } from "../../server/schemas/sites.js";
import { freshDb } from "../support/db.js";
import { type Actor, Fuzzer } from "./harness.js";
import { filters, filtersEdge, idEdge, name, siteVariants, uuid } from "./fields.js";
import { inputs, nastyString, wild } from "./inputs.js";
import { buildWorld, siteActors, type World } from "./world.js";

let w: World;
let fuzz: Fuzzer;
let actors: Actor[];

beforeAll(async () => {
  const db = await freshDb();
  w = await buildWorld(db);
  fuzz = new Fuzzer(db, "sites+segments");
  actors = siteActors(w);
});

afterAll(() => fuzz?.report());

const site = () => fc.constantFrom(...siteVariants(w.domain), w.domain, w.otherDomain, "unknown.example");
const siteEdge = fc.oneof(nastyString, fc.constantFrom("https://shop.example", "shop.example.", "www.shop.example", "shop.example\u0000", "%", "shop_example"));
const segmentId = () => fc.oneof(fc.constantFrom(...Object.values(w.segments)), uuid);
const segmentName = fc.oneof(name, fc.constantFrom("Mobile", "mobile ", "PRICING"));
const edges = () => ({ site: siteEdge, id: idEdge, name: nastyString, filters: filtersEdge });

describe("site and segment procedures answer any input with data or a 4xx, and never a partial write", () => {
  it("sites.list", () => fuzz.run({ path: "sites.list", mutation: false, runs: 200, actors, input: wild }));

  it("sites.get", () =>
    fuzz.run({ path: "sites.get", mutation: false, runs: 500, actors, input: inputs(fc.record({ site: site() }), edges()) }));

  it("sites.create", () =>
    fuzz.run({
      path: "sites.create",
      mutation: true,
      runs: 500,
      actors,
      input: inputs(
        fc.record({
          domain: fc.oneof(fc.domain(), fc.constantFrom("https://New-Site.example/path?q=1", "www.fuzz.example:8080", "shop.example", "SHOP.EXAMPLE", "xn--bcher-kva.example")),
          timezone: fc.constantFrom(...timezones()),
        }),
        {
          domain: fc.oneof(nastyString, fc.constantFrom("localhost", "127.0.0.1", "[::1]", "ex_ample.com", "-bad.example", "a..b", `${"a".repeat(64)}.example`, `${"a.".repeat(130)}com`, "http://", "bücher.example")),
          timezone: fc.oneof(nastyString, fc.constantFrom("Mars/Olympus_Mons", "utc", "+05:00", "Europe/Paris\u0000", "../../etc/passwd", "America/Ciudad_Juarez")),
        },
      ),
    }));

  it("segments.list", () =>
    fuzz.run({ path: "segments.list", mutation: false, runs: 300, actors, input: inputs(fc.record({ site: site() }), edges()) }));

  it("segments.get", () =>
    fuzz.run({ path: "segments.get", mutation: false, runs: 500, actors, input: inputs(fc.record({ site: site(), id: segmentId() }), edges()) }));

  it("segments.create", () =>
    fuzz.run({
      path: "segments.create",
      mutation: true,
      runs: 600,
      actors,
      input: inputs(fc.record({ site: site(), name: segmentName, filters: filters(1, 10) }), edges()),
    }));

  it("segments.update", () =>
    fuzz.run({
      path: "segments.update",
      mutation: true,
      runs: 600,
      actors,
      input: inputs(fc.record({ site: site(), id: segmentId(), name: segmentName, filters: filters(1, 10) }, { requiredKeys: ["site", "id"] }), edges()),
    }));

  it("segments.delete", () =>
    fuzz.run({ path: "segments.delete", mutation: true, runs: 400, actors, input: inputs(fc.record({ site: site(), id: segmentId() }), edges()) }));
});
