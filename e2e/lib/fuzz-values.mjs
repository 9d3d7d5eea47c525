// Generated values for the HTTP form fuzz (issue 8): nasty strings, form bodies built from a form's
// real field names, and references to live objects ("the second link of the owner's site") that
// are resolved against the database when the request is sent, so they stay valid as the fuzz
// creates and deletes things.
import fc from "fast-check";

/** Printable strings that broke something somewhere once: injection, markup, odd Unicode. */
export const PRINTABLE = [
  "'; drop table users; --",
  "' or 1=1 --",
  '"; select pg_sleep(5); --',
  "1); delete from shared_links; --",
  "%_\\",
  "$1::text",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "</textarea><svg onload=alert(1)>",
  "javascript:alert(1)",
  "{{7*7}}${7*7}",
  "🎉",
  "👩‍👩‍👧‍👦🏳️‍🌈",
  "\u202egnp.exe",
  "שלום עולם",
  "مرحبا بالعالم",
  "e\u0301\u0302\u0303\u0304",
  "Z̸̢̛̗a̴̡l̷̨g̶̢o",
  "\ufeff\u200b\u00a0",
  "İıßﬀ",
  "\u2028\u2029",
  "\ud800",
  "\udfff",
  "a\ud83db",
  "\ude00\ud83d",
];

const PAYLOADS = [
  ...PRINTABLE,
  "\u0000",
  "a\u0000b",
  "\u0001\u001b[31m",
  "\t\n\r\n",
  "\u007f\u0085",
  "",
  " ",
  "   ",
  "null",
  "undefined",
  "NaN",
  "true",
  "[]",
  "{}",
  '{"a":1}',
  "__proto__",
  "constructor",
  "-1",
  "0",
  "1e308",
  "99999999999999999999",
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "owner",
  "admin",
  "on",
  "off",
];

/** Around the limits of the schemas, and far past them (up to 100k characters). */
const LONG = [
  ...[11, 12, 99, 100, 101, 120, 121, 253, 254, 255, 300, 301, 500, 501, 1024, 1025, 2000, 2001, 16_385].map((n) => "a".repeat(n)),
  "x".repeat(100_000),
  "é".repeat(100_000),
  "🎉".repeat(50_000),
  "\u0000".repeat(100_000),
  " ".repeat(100_000),
  "\ud800".repeat(50_000),
  "'".repeat(100_000),
  "<b>".repeat(30_000),
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const control = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));

export const nastyString = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...PAYLOADS) },
  { weight: 1, arbitrary: fc.constantFrom(...LONG) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(loneSurrogate, control, fc.string({ minLength: 1, maxLength: 1 })), maxLength: 20 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...PAYLOADS)).map(([a, b]) => a + b) },
);

/** Characters that break things when slipped into an otherwise valid string. */
const POISON = ["\u0000", "\ud800", "\udfff", "\u0001", "\u007f", "\u202e", "\n", "'", "%", "\\", "🎉", "\u0301", "\u200b", "<"];

/** The value with one poison character inserted somewhere. */
export const poisoned = (arb) =>
  fc.tuple(arb, fc.constantFrom(...POISON), fc.nat()).map(([value, p, at]) => {
    // A reference is poisoned once it is resolved (see World.resolve).
    if (value !== null && typeof value === "object" && "ref" in value) return { ...value, poison: [p, at] };
    const text = String(value);
    const i = at % (text.length + 1);
    return text.slice(0, i) + p + text.slice(i);
  });

/** A reference to a live object, resolved at send time (see World.resolve). */
export const ref = (kind) => fc.nat({ max: 1000 }).map((i) => ({ ref: kind, i }));

/** Keys no form has, several of them names that mean something elsewhere in the app. */
const EXTRA_KEYS = [
  "slug", "site_id", "siteId", "site", "role", "user_id", "userId", "id", "intent", "password", "integration", "segment_id", "created_by",
  "password_hash", "view_count", "__proto__", "constructor", "", "0", "filters", "filters.0.dimension", "redirectTo", "_data", "_method",
];

const extraPair = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(["role", "owner"], ["role", "admin"], ["site_id", { ref: "site:other", i: 0 }], ["slug", "aaaaaaaaaaaaaaaaaaaaa"], ["_method", "DELETE"], ["redirectTo", "//evil.example"], ["integration", "on"], ["created_by", { ref: "user:any", i: 0 }]) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...EXTRA_KEYS), fc.oneof(nastyString, ref("uuid:anyObject"))) },
  { weight: 1, arbitrary: fc.tuple(nastyString, nastyString) },
);

/** A form field: the values a real browser could send, and edge values for it (nasty strings by default). */
export const field = (good, bad = nastyString) => ({ good, bad });

/**
 * A form body as an ordered list of [name, value] pairs (repeated keys allowed): three in ten are
 * the form's real fields with plausible values; six in ten are one to three steps away from that (a
 * field given an edge or nasty value, dropped, repeated, or joined by a key the form does not
 * have); one in ten is random keys and values.
 * @param {Record<string, { good: fc.Arbitrary<unknown>, bad: fc.Arbitrary<unknown> } | fc.Arbitrary<unknown>>} fields
 */
export function formBody(fields) {
  const spec = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, "good" in f ? f : field(f)]));
  const names = Object.keys(spec);
  const base = fc.record(Object.fromEntries(names.map((n) => [n, spec[n].good])));
  const someName = fc.constantFrom(...(names.length ? names : ["x"]));
  const badValue = (n) => fc.oneof({ weight: 3, arbitrary: spec[n]?.bad ?? nastyString }, { weight: 1, arbitrary: nastyString });
  const mutation = fc.oneof(
    { weight: 4, arbitrary: someName.chain((n) => badValue(n).map((v) => ["set", n, v])) },
    { weight: 1, arbitrary: someName.map((n) => ["drop", n, null]) },
    { weight: 2, arbitrary: someName.chain((n) => fc.oneof(badValue(n), fc.constant("")).map((v) => ["repeat", n, v])) },
    { weight: 2, arbitrary: extraPair.map((pair) => ["extra", pair, null]) },
  );
  const mutated = fc.tuple(base, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([record, mutations]) => {
    const pairs = Object.entries(record);
    for (const [kind, a, b] of mutations) {
      if (kind === "set") {
        const at = pairs.findIndex(([k]) => k === a);
        if (at >= 0) pairs[at] = [a, b];
        else pairs.push([a, b]);
      } else if (kind === "drop") {
        const at = pairs.findIndex(([k]) => k === a);
        if (at >= 0) pairs.splice(at, 1);
      } else if (kind === "repeat") {
        // Before or after the real one: form.get() takes the first.
        if (String(b).length % 2) pairs.unshift([a, b]);
        else pairs.push([a, b]);
      } else pairs.push(a);
    }
    return pairs;
  });
  const random = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...names, ...EXTRA_KEYS), nastyString), nastyString), { maxLength: 6 });
  return fc.oneof({ weight: 3, arbitrary: base.map((r) => Object.entries(r)) }, { weight: 6, arbitrary: mutated }, { weight: 1, arbitrary: random });
}

/** How the body goes on the wire. Mostly real form encodings, then everything a client could send. */
export const encoding = fc.oneof(
  { weight: 10, arbitrary: fc.constant("urlencoded") },
  { weight: 3, arbitrary: fc.constant("urlencoded-raw") },
  { weight: 4, arbitrary: fc.constant("multipart") },
  { weight: 1, arbitrary: fc.constant("multipart-file") },
  { weight: 1, arbitrary: fc.constant("multipart-broken") },
  { weight: 1, arbitrary: fc.constant("json") },
  { weight: 1, arbitrary: fc.constant("text") },
  { weight: 1, arbitrary: fc.constant("none") },
  { weight: 1, arbitrary: fc.constant("garbage") },
);

/** Random bytes (or text) with a random content type, for the "garbage" encoding. */
export const garbage = fc.record({
  bytes: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 200 }).map((s) => new TextEncoder().encode(s)), fc.constantFrom(new Uint8Array(0), new TextEncoder().encode("%zz=%%&&==&a=%ff%fe"), new TextEncoder().encode("--x\r\nContent-Disposition: form-data\r\n\r\n"))),
  contentType: fc.constantFrom(
    null,
    "",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=iso-8859-1",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=x",
    "application/json",
    "text/plain",
    "application/octet-stream",
    "image/png",
    "text/html; charset=utf-16",
    ";;;",
    "*/*",
  ),
});

export const actorOf = (weights) => fc.oneof(...Object.entries(weights).map(([name, weight]) => ({ weight, arbitrary: fc.constant(name) })));

/** Ids for the path: live objects of this site and others, random uuids, and garbage. */
export const pathId = (own, other) =>
  fc.oneof(
    { weight: 6, arbitrary: ref(own) },
    { weight: 2, arbitrary: ref(other) },
    { weight: 1, arbitrary: ref("uuid:random") },
    { weight: 1, arbitrary: ref("uuid:anyObject") },
    { weight: 2, arbitrary: nastyString.map((s) => s.slice(0, 1500)) },
  );

/** Path domains: the decoded value the route sees. */
export const pathDomain = fc.oneof(
  { weight: 12, arbitrary: fc.constant("fuzz.example") },
  { weight: 2, arbitrary: fc.constant("other.example") },
  { weight: 1, arbitrary: fc.constantFrom("FUZZ.Example", " fuzz.example ", "missing.example", "fuzz.example.", "www.fuzz.example") },
  { weight: 1, arbitrary: nastyString.map((s) => s.slice(0, 1500)) },
);
