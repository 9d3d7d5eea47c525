import fc from "fast-check";

/** Printable strings that broke something somewhere once: injection, markup, odd Unicode. */
export const PRINTABLE = [
  "'; drop table events; --",
  "' or 1=1 --",
  '"; select pg_sleep(5); --',
  "1); delete from users; --",
  "%_\\",
  "$1::text",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "javascript:alert(1)",
  "{{7*7}}${7*7}",
  "🎉",
  "👩‍👩‍👧‍👦🏳️‍🌈",
  "\u202egnp.exe",
  "שלום עולם",
  "مرحبا",
  "e\u0301\u0302\u0303\u0304",
  "Z̸̢̛̗a̴̡l̷̨g̶̢o",
  "\ufeff\u200b\u00a0",
  "İıßﬀ",
  "\u2028\u2029",
  // Lone surrogates: not valid UTF-16, and "\ud800" is not valid in a jsonb string either.
  "\ud800",
  "\udfff",
  "a\ud83db",
  "\ude00\ud83d",
];

/** Control characters (NUL cannot be stored in Postgres text at all) and shapes that look like values. */
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
  "[]",
  "{}",
  '{"a":1}',
  "__proto__",
  "constructor",
  "toString",
  "-0",
  "1e308",
];

/** Around the limits of the schemas, and far past them. */
const LONG = [
  ...[100, 101, 120, 121, 253, 254, 256, 257, 300, 500, 501, 1024, 1025, 2000, 2001].map((n) => "a".repeat(n)),
  "x".repeat(100_000),
  "é".repeat(100_000),
  "🎉".repeat(50_000),
  "\u0000".repeat(100_000),
  " ".repeat(100_000),
  "\ud800".repeat(100_000),
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const control = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PAYLOADS) },
  { weight: 1, arbitrary: fc.constantFrom(...LONG) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(loneSurrogate, control, fc.string({ minLength: 1, maxLength: 1 })), maxLength: 20 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...PAYLOADS)).map(([a, b]) => a + b) },
);

export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(NaN, -0, 0, 1, -1, 0.5, 1e308, -1e308, Infinity, -Infinity, 2 ** 31, 2 ** 53 + 2, 100, 101),
  fc.double(),
  fc.integer(),
);

/** Objects that try to reach the prototype: own keys named __proto__ and constructor. */
const protoObject = fc.constantFrom<unknown>(
  JSON.parse('{"__proto__": {"admin": true, "role": "owner"}}'),
  { constructor: { prototype: { polluted: true } } },
  Object.create(null),
  JSON.parse('{"toString": "x", "valueOf": 1}'),
);

/** Anything at all: every JS type, deep nesting, holes, boxed values, Maps, Dates, BigInts. */
export const wild: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.anything({
      maxDepth: 3,
      stringUnit: "binary",
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
    }),
  },
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, true, false, [], {}, [null], [[]]) },
  { weight: 1, arbitrary: protoObject },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 5 }) },
);

/** Keys no schema has, several of them names that mean something elsewhere in the app. */
export const EXTRA_KEYS = ["slug", "segment", "__proto__", "constructor", "prototype", "id", "siteId", "site_id", "role", "integration", "password", "userId", "filters", "toString", "", "0"];

/** Characters that break things when slipped into an otherwise valid string. */
const POISON = ["\u0000", "\ud800", "\udfff", "\u0001", "\u007f", "\u202e", "\n", "'", "%", "\\", "🎉", "\u0301"];

/** The string with one poison character inserted somewhere in it. */
export const poison = (value: string) =>
  fc.tuple(fc.constantFrom(...POISON), fc.nat()).map(([p, at]) => {
    const i = at % (value.length + 1);
    return value.slice(0, i) + p + value.slice(i);
  });

/** Sets an own key, even "__proto__", as JSON.parse would (plain assignment would set the prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
  return target;
}

/**
 * An input one step away from a valid one, so validation past the first check is reached: one
 * field replaced, removed, or given an edge value, one key added, or the whole thing re-shaped.
 */
export function almostValid(valid: fc.Arbitrary<Record<string, unknown>>, edges: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<unknown> {
  return valid.chain((input) => {
    const keys = [...new Set([...Object.keys(input), ...Object.keys(edges)])];
    const key = keys.length ? fc.constantFrom(...keys) : fc.constant("x");
    const withField = (value: fc.Arbitrary<unknown>) => fc.tuple(key, value).map(([k, v]) => setOwn({ ...input }, k, v));
    const edgeFor = key.chain((k) => (edges[k] ?? wild).map((v) => setOwn({ ...input }, k, v)));
    const texts = Object.keys(input).filter((k) => typeof input[k] === "string");
    const poisoned = texts.length
      ? fc.constantFrom(...texts).chain((k) => poison(input[k] as string).map((v) => setOwn({ ...input }, k, v)))
      : edgeFor;
    return fc.oneof(
      { weight: 2, arbitrary: poisoned },
      { weight: 3, arbitrary: edgeFor },
      { weight: 2, arbitrary: withField(wild) },
      { weight: 1, arbitrary: withField(nastyString) },
      { weight: 1, arbitrary: key.map((k) => Object.fromEntries(Object.entries(input).filter(([name]) => name !== k))) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...EXTRA_KEYS), wild).map(([k, v]) => setOwn({ ...input }, k, v)) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>([input], JSON.stringify(input), { json: input }, Object.assign(Object.create(null), input)) },
    );
  });
}

/** A third valid inputs, half one step away from valid, a sixth anything at all. */
export function inputs(valid: fc.Arbitrary<Record<string, unknown>>, edges: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 2, arbitrary: valid }, { weight: 3, arbitrary: almostValid(valid, edges) }, { weight: 1, arbitrary: wild });
}
