// The form actions the form fuzz targets, and the generated values for their real fields
// (see e2e/specs/fuzz-forms.spec.mjs for how they are run and checked).
import fc from "fast-check";
import { gzipSync, strToU8, zipSync } from "fflate";
import { encoding, field, formBody, garbage, nastyString, pathDomain, pathId, poisoned, ref } from "./fuzz-values.mjs";
import { segment } from "./fuzz-http.mjs";

export const PASSWORD = "correct horse battery staple";
export const LINK_PASSWORD = "protected link password";
export const OWN = "fuzz.example";
export const OTHER = "other.example";

// ─── Generated values for the forms' real fields ─────────────────────────────────────────────────

// Each field: what a browser submitting the real form could send (good), and edge values (bad);
// formBody mixes them (see fuzz-values.mjs) and adds nasty strings, repeated and unknown keys.
export const oneof = (...pairs) => fc.oneof(...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));
export const edges = (...values) => fc.constantFrom(...values);

export const accountPassword = field(
  oneof([3, fc.constant(PASSWORD)], [1, fc.string({ unit: "grapheme", minLength: 12, maxLength: 40 })]),
  oneof([2, edges("short", "a".repeat(11), "a".repeat(257), " ".repeat(12), "\u0000".repeat(12), "\ud800".repeat(12))], [1, poisoned(fc.constant(PASSWORD))]),
);
export const linkPassword = field(
  oneof([3, fc.constant("")], [2, fc.constant(LINK_PASSWORD)], [2, fc.string({ unit: "grapheme", minLength: 12, maxLength: 30 })]),
  oneof([2, edges("short", "a".repeat(11), "a".repeat(257), " ".repeat(12))], [1, poisoned(fc.constant(LINK_PASSWORD))]),
);
export const name = field(
  oneof([6, fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 30 })], [3, fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 })], [1, edges("Open", "Protected", "France", "Spare 1", "a".repeat(100))]),
  oneof(
    [2, edges("WordPress - Shared Dashboard", " wordpress - shared dashboard ", "", " ", "a".repeat(101), "é".repeat(101), "🎉".repeat(101))],
    [2, poisoned(fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 20 }))],
  ),
);
export const segmentId = field(
  oneof([2, fc.constant("")], [3, ref("segment:own")]),
  oneof([3, ref("segment:other")], [1, ref("uuid:random")], [1, ref("uuid:anyObject")], [1, ref("link:own")], [1, edges("null", "00000000-0000-0000-0000-000000000000")]),
);
export const DIMENSIONS = ["page", "entry_page", "source", "referrer", "utm_source", "utm_medium", "utm_campaign", "country", "device", "browser", "os"];
export const filterFields = (n) => ({
  [`filters.${n}.dimension`]: field(fc.constantFrom(...DIMENSIONS), edges("Page", "page ", "events", "site_id", "__proto__", "")),
  [`filters.${n}.operator`]: field(fc.constantFrom("is", "is_not", "contains"), edges("IS", "isnt", "like", "=", "")),
  [`filters.${n}.value`]: field(
    oneof([3, edges("FR", "FR, DE", "/pricing", "Direct / None", "Desktop")], [2, fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 })]),
    oneof([2, edges(",,,", " , ", "a,".repeat(25), "a".repeat(501), "%", "_", "\\", "' OR 1=1 --")], [1, poisoned(fc.constant("FR"))]),
  ),
});
export const segmentBody = formBody({
  name,
  rows: field(oneof([3, fc.constant("1")], [1, fc.integer({ min: 1, max: 3 }).map(String)]), edges("0", "-1", "11", "1e9", "NaN", "", "1.5", "0x10")),
  ...filterFields(0),
  ...filterFields(1),
  ...filterFields(2),
  intent: field(fc.constant("save"), edges("add-row", "remove-row-0", "remove-row-1", "remove-row-9", "remove-row--1", "remove-row-99999999999999999999", "SAVE", "")),
});
export const linkBody = formBody({ name, password: linkPassword, segmentId });

export const ADMIN_ACTORS = { owner: 6, viewer: 1, stranger: 2, anonymous: 1, garbage: 1 };
export const GARBAGE_COOKIES = [
  "glimpse_session=",
  "glimpse_session=x",
  `glimpse_session=${"a".repeat(4000)}`,
  "glimpse_session=%00%ff; glimpse_session=again",
  "glimpse_session=eyJ0b2tlbiI6IngifQ%3D%3D.forged",
  "glimpse_session=\"quoted\"; glimpse_unlock=%7B%7D",
  "=; ;;; glimpse_session",
];

// ─── Uploads: multipart bodies as a browser builds them, then broken every way ─────────────────────

const TABLE_HEADERS = { imported_visitors: "date,visitors,pageviews", imported_pages: "date,page,visitors,pageviews", imported_locations: "date,country,visitors" };
const csvOf = (table, day) => {
  const row = { imported_visitors: `2020-01-${day},3,7`, imported_pages: `2020-01-${day},/fuzz,2,5`, imported_locations: `2020-01-${day},FR,2` }[table];
  return strToU8(`${TABLE_HEADERS[table]}\n${row}\n`);
};
const GOOD_NAMES = ["imported_visitors_20200101_20200131.csv", "imported_pages_20200101_20200131.csv", "imported_locations_20200101_20200131.csv", "export.zip"];
const BAD_NAMES = [
  "x.txt",
  "../../etc/passwd",
  "..\\..\\imported_visitors_20200101_20200131.csv",
  "imported_visitors.csv",
  "imported_visitors_20200101_20200131.csv\u0000.zip",
  `${"a".repeat(300)}.csv`,
  "imported_visitors_20200231_20200101.csv",
  "IMPORTED_VISITORS_20200101_20200131.CSV",
  "\u202eimported_visitors_20200101_20200131.csv",
  "export.ZIP",
  "export.zip.csv",
];
/** A zip bomb: 2 MB of zeros packs to a few kB. */
const BOMB = zipSync({ "imported_visitors_20200101_20200131.csv": new Uint8Array(2 * 1024 * 1024) }, { level: 9 });
const GOOD_ZIP = zipSync({ "export/imported_visitors_20200101_20200131.csv": csvOf("imported_visitors", "05"), "export/imported_pages_20200101_20200131.csv": csvOf("imported_pages", "05") });
const contentFor = (name, kind, bytes, day) => {
  const table = /^(imported_(?:visitors|pages|locations))_/.exec(name)?.[1];
  switch (kind) {
    case "matching":
      return name.endsWith(".zip") ? GOOD_ZIP : csvOf(table ?? "imported_visitors", day);
    case "bad line":
      return strToU8(`${TABLE_HEADERS[table ?? "imported_visitors"]}\n2020-01-${day},x,1\n`);
    case "random":
      return bytes;
    case "empty":
      return new Uint8Array(0);
    case "zip with ../":
      return zipSync({ "../imported_visitors_20200101_20200131.csv": csvOf("imported_visitors", day) });
    case "bomb":
      return BOMB;
    case "cut zip":
      return GOOD_ZIP.subarray(0, Math.max(1, bytes.length % GOOD_ZIP.length));
    case "zip in a zip":
      return zipSync({ "inner.zip": GOOD_ZIP, "imported_visitors_20200101_20200131.csv": csvOf("imported_visitors", day) });
    case "gzip":
      return gzipSync(csvOf("imported_visitors", day));
    case "long line":
      return strToU8(`date,visitors\n2020-01-01,${"9".repeat(70_000)}\n`);
    default:
      throw new Error(`unknown content ${kind}`);
  }
};
const filePart = fc.record({
  field: fc.constantFrom("files", "files", "files", "file", ""),
  name: oneof(
    [4, fc.constantFrom(...GOOD_NAMES)],
    [2, fc.constantFrom(...BAD_NAMES)],
    [1, fc.constantFrom("\u0000", "\u0001", "\n", "\u007f", "\u0000\u0000").map((c) => `imported_visitors_20200101_20200131${c}.csv`)],
    [1, nastyString.map((x) => x.slice(0, 300))],
  ),
  // RFC 5987 `filename*`: any character, NUL and lone surrogates included, percent-encoded (a raw
  // control character in a header is refused by the multipart parser before it gets this far).
  star: oneof([1, fc.constant(false)], [2, fc.constant(true)]),
  kind: oneof([5, fc.constant("matching")], [1, fc.constantFrom("bad line", "random", "empty", "zip with ../", "bomb", "cut zip", "zip in a zip", "gzip", "long line")]),
  bytes: fc.uint8Array({ maxLength: 2000 }),
  day: fc.integer({ min: 1, max: 28 }).map((d) => String(d).padStart(2, "0")),
  type: fc.constantFrom("text/csv", "application/zip", "application/octet-stream", null),
});
const fieldPart = fc.record({ field: nastyString.map((x) => x.slice(0, 100)), value: nastyString.map((x) => x.slice(0, 2000)) });
const quoteName = (text) => text.replace(/["\\\r\n]/g, (c) => encodeURIComponent(c));

export const uploadBody = fc
  .record({
    parts: oneof(
      [8, fc.array(oneof([5, filePart.map((f) => ({ file: f }))], [1, fieldPart.map((f) => ({ field: f }))]), { maxLength: 4 })],
      [1, fc.constant(Array.from({ length: 25 }, (_, i) => ({ file: { field: "files", name: GOOD_NAMES[i % 3], star: false, kind: "matching", bytes: new Uint8Array(0), day: "02", type: "text/csv" } })))],
    ),
    boundary: fc.constantFrom("----fuzzB0undary7MA4YWxk", "----fuzzB0undary7MA4YWxk", "x", "a".repeat(70)),
    header: oneof([8, fc.constant("ok")], [1, fc.constantFrom("no boundary", "other boundary", "mixed", "none", "urlencoded", "quoted boundary")]),
    end: oneof([8, fc.constant("ok")], [1, fc.constantFrom("missing", "cut", "no CRLF", "garbage after")]),
    cutAt: fc.nat(),
  })
  .map(({ parts, boundary, header, end, cutAt }) => {
    const chunks = [];
    for (const part of parts) {
      chunks.push(strToU8(`--${boundary}\r\n`));
      if (part.file) {
        const f = part.file;
        const filename = f.star ? `filename*=UTF-8''${encodeURIComponent(f.name.replace(/[\ud800-\udfff]/g, "\ufffd"))}` : `filename="${quoteName(f.name)}"`;
        chunks.push(strToU8(`Content-Disposition: form-data; name="${quoteName(f.field)}"; ${filename}\r\n${f.type ? `Content-Type: ${f.type}\r\n` : ""}\r\n`));
        chunks.push(contentFor(f.name, f.kind, f.bytes, f.day));
      } else {
        chunks.push(strToU8(`Content-Disposition: form-data; name="${quoteName(part.field.field)}"\r\n\r\n${part.field.value}`));
      }
      chunks.push(strToU8("\r\n"));
    }
    if (end !== "missing") chunks.push(strToU8(`--${boundary}--${end === "no CRLF" ? "" : "\r\n"}${end === "garbage after" ? "trailing garbage" : ""}`));
    let body = Buffer.concat(chunks.map((c) => Buffer.from(c)));
    if (end === "cut") body = body.subarray(0, cutAt % (body.length + 1));
    const type = {
      ok: `multipart/form-data; boundary=${boundary}`,
      "no boundary": "multipart/form-data",
      "other boundary": "multipart/form-data; boundary=not-the-one",
      mixed: `multipart/mixed; boundary=${boundary}`,
      none: null,
      urlencoded: "application/x-www-form-urlencoded",
      "quoted boundary": `multipart/form-data; boundary="${boundary}"`,
    }[header];
    return { body, type };
  });

/** An accepted upload is imported by the server's job right after: wait for it, so its writes are checked with this request. */
export async function importsSettled(sql) {
  for (let i = 0; i < 200; i++) {
    const [{ n }] = await sql`select count(*)::int as n from imports where status in ('uploading', 'pending', 'running')`;
    if (n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("an import did not finish within 10 s");
}

// ─── The actions ─────────────────────────────────────────────────────────────────────────────────
//
// path: from the generated path arguments to { path, domain } (domain: the site the route works on).
// success: what an accepted request may change, as a predicate over changed entries (see fuzz-db).
// always: what any request may change, accepted or not.
// admin: the action needs the admin role on `domain`; a redirect without it is a failure.

/** Digest rows are summed per link: theirs belong to the site of that link (as the world saw it before the request). */
const DIGEST_TABLES = new Set(["link_digests", "digest_recipients"]);
const siteOf = (e, ctx) => (DIGEST_TABLES.has(e.table) ? ctx.links.find((l) => l.id === e.scope)?.site_id : e.scope);
export const siteSuccess = (e, ctx) => ["owner", "admin"].includes(ctx.role) && siteOf(e, ctx) === ctx.siteId;

export const TARGETS = [
  {
    name: "signup",
    route: "routes/signup",
    runs: 240,
    actors: { anonymous: 4, owner: 1, garbage: 1 },
    path: () => ({ path: "/signup" }),
    body: formBody({
      email: field(ref("email:fresh"), oneof([2, ref("email:any")], [1, fc.emailAddress()], [1, poisoned(ref("email:fresh"))], [1, edges("a@b", "@", "a".repeat(250) + "@x.io", " UPPER@FUZZ.TEST ")])),
      password: accountPassword,
    }),
    success: (e) => e.table === "users" && e.isNew,
  },
  {
    name: "login",
    route: "routes/login",
    runs: 220,
    actors: { anonymous: 4, owner: 1, garbage: 1 },
    path: () => ({ path: "/login" }),
    body: formBody({
      redirectTo: field(fc.constantFrom("/", "/sites/fuzz.example", "/account/api-keys"), edges("//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "/%2F%2Fevil.example", "\\\\evil.example", "")),
      email: field(oneof([3, ref("email:any")], [1, ref("email:owner")]), oneof([1, ref("email:fresh")], [1, poisoned(ref("email:owner"))])),
      password: field(fc.constant(PASSWORD), oneof([2, edges("", "wrong password 1", "a".repeat(1025))], [1, poisoned(fc.constant(PASSWORD))])),
    }),
    success: () => false,
    onSuccess: (res, failures) => {
      if (!/^\/(?![/\\])/.test(res.location ?? "")) failures.push({ kind: "open redirect after login", detail: `Location: ${res.location}` });
    },
  },
  {
    name: "forgot-password",
    route: "routes/forgot-password",
    runs: 40,
    actors: { anonymous: 4, owner: 1, garbage: 1 },
    path: () => ({ path: "/forgot-password" }),
    body: formBody({
      email: field(oneof([3, ref("email:any")], [1, ref("email:owner")]), oneof([1, edges("", "a@b", "@", "a".repeat(250) + "@x.io")], [1, poisoned(ref("email:owner"))])),
    }),
    // Without SMTP_URL nothing is made; with it, only a reset row for an existing account.
    success: (e) => e.table === "password_resets" && e.isNew,
  },
  {
    name: "reset-password/:token",
    route: "routes/reset-password.$token",
    runs: 60,
    actors: { anonymous: 4, owner: 1, garbage: 1 },
    args: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), nastyString.map((s) => s.slice(0, 300))),
    path: (token) => ({ path: `/reset-password/${segment(token)}` }),
    body: formBody({ password: accountPassword }),
    success: () => false,
  },
  {
    name: "sites/new",
    route: "routes/sites.new",
    runs: 220,
    actors: { owner: 4, viewer: 1, stranger: 1, anonymous: 1, garbage: 1 },
    path: () => ({ path: "/sites/new" }),
    body: formBody({
      domain: field(oneof([4, ref("domain:fresh")], [1, fc.domain()]), oneof([2, ref("domain:taken")], [1, poisoned(ref("domain:fresh"))], [1, edges("localhost", "-a.com", "a..b", "xn--.com", "a".repeat(64) + ".com", `${"a.".repeat(130)}com`, "http://", "1.2.3.4")])),
      timezone: field(fc.constantFrom("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"), edges("utc", "Mars/Olympus", "Etc/GMT+99", "", "a".repeat(65))),
    }),
    success: (e, ctx) => Boolean(ctx.actor.userId) && ["sites", "site_memberships"].includes(e.table) && e.isNew,
  },
  {
    name: "settings/general (members)",
    route: "routes/sites.$domain.settings.general",
    runs: 260,
    admin: true,
    actors: ADMIN_ACTORS,
    args: pathDomain,
    path: (domain) => ({ path: `/sites/${segment(domain)}/settings/general`, domain }),
    body: fc.oneof(
      formBody({
        intent: field(fc.constant("set-role"), edges("SET-ROLE", "set-role ", "add-member", "")),
        userId: field(ref("member:own"), oneof([2, ref("user:any")], [1, ref("uuid:random")], [1, edges("", "null", "00000000-0000-0000-0000-000000000000")])),
        role: field(fc.constantFrom("viewer", "admin"), edges("owner", "Owner", "ADMIN", "viewer ", "", "superuser")),
      }),
      formBody({
        intent: field(fc.constant("remove-member"), edges("Remove-member", "remove-member\u0000", "")),
        userId: field(ref("member:own"), oneof([2, ref("user:any")], [1, ref("uuid:random")], [1, edges("", "null", "00000000-0000-0000-0000-000000000000")])),
      }),
      formBody({
        intent: field(fc.constant("revoke-invitation"), edges("REVOKE-INVITATION", "revoke-invitation ", "")),
        id: field(ref("invitation:own"), oneof([2, ref("invitation:other")], [1, ref("uuid:random")], [1, edges("", "null", "00000000-0000-0000-0000-000000000000")])),
      }),
    ),
    success: siteSuccess,
  },
  {
    // Few runs: twenty invitations an hour per account, and every refusal after them is paused.
    name: "settings/general (invitations)",
    route: "routes/sites.$domain.settings.general",
    runs: 40,
    admin: true,
    actors: ADMIN_ACTORS,
    args: pathDomain,
    path: (domain) => ({ path: `/sites/${segment(domain)}/settings/general`, domain }),
    body: fc.oneof(
      formBody({
        intent: field(fc.constant("invite"), edges("INVITE", "invite ", "")),
        email: field(ref("email:fresh"), oneof([1, ref("email:self")], [1, ref("email:owner")], [1, ref("email:any")], [1, ref("email:pool")], [1, poisoned(ref("email:fresh"))])),
        role: field(fc.constantFrom("viewer", "admin"), edges("owner", "Owner", "ADMIN", "viewer ", "", "superuser")),
      }),
      formBody({
        intent: field(fc.constant("resend-invitation"), edges("Resend-invitation", "")),
        id: field(ref("invitation:own"), oneof([2, ref("invitation:other")], [1, ref("uuid:random")], [1, edges("", "null")])),
      }),
    ),
    success: siteSuccess,
  },
  {
    // The link in an invitation mail: random tokens are dead links, which must change nothing.
    name: "invitations/:token",
    route: "routes/invitations.$token",
    runs: 60,
    actors: { anonymous: 3, owner: 1, viewer: 1, garbage: 1 },
    args: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), nastyString.map((s) => s.slice(0, 300))),
    path: (token) => ({ path: `/invitations/${segment(token)}` }),
    body: fc.oneof(
      formBody({ intent: field(fc.constant("accept"), edges("ACCEPT", "")) }),
      formBody({ intent: field(fc.constant("create-account"), edges("accept ", "")), password: accountPassword }),
    ),
    success: () => false,
  },
  {
    name: "segments (create)",
    route: "routes/sites.$domain.settings.segments",
    runs: 300,
    admin: true,
    actors: ADMIN_ACTORS,
    args: pathDomain,
    path: (domain) => ({ path: `/sites/${segment(domain)}/settings/segments`, domain }),
    body: segmentBody,
    success: siteSuccess,
  },
  {
    name: "segments/:id/edit",
    route: "routes/sites.$domain.settings.segments_.$id.edit",
    runs: 260,
    admin: true,
    actors: ADMIN_ACTORS,
    args: fc.tuple(pathDomain, pathId("segment:own", "segment:other")),
    path: ([domain, id]) => ({ path: `/sites/${segment(domain)}/settings/segments/${segment(id)}/edit`, domain }),
    body: segmentBody,
    success: siteSuccess,
  },
  {
    name: "visibility (create link)",
    route: "routes/sites.$domain.settings.visibility",
    runs: 280,
    admin: true,
    actors: ADMIN_ACTORS,
    args: pathDomain,
    path: (domain) => ({ path: `/sites/${segment(domain)}/settings/visibility`, domain }),
    body: linkBody,
    success: siteSuccess,
    onSuccess: (res, failures, pairs, world) => {
      const password = pairs.find(([k]) => k === "password")?.[1];
      if (typeof password === "string" && password) world.linkPasswords.add(password);
    },
  },
  {
    name: "shared-links/:id/edit",
    route: "routes/sites.$domain.settings.visibility_.shared-links.$id.edit",
    runs: 280,
    admin: true,
    actors: ADMIN_ACTORS,
    args: fc.tuple(pathDomain, pathId("link:own", "link:other")),
    path: ([domain, id]) => ({ path: `/sites/${segment(domain)}/settings/visibility/shared-links/${segment(id)}/edit`, domain }),
    body: formBody({
      name,
      passwordAction: field(fc.constantFrom("keep", "replace", "remove"), edges("KEEP", "delete", "remove ", "")),
      password: linkPassword,
      segmentId,
    }),
    success: siteSuccess,
    onSuccess: (res, failures, pairs, world) => {
      const password = pairs.find(([k]) => k === "password")?.[1];
      if (typeof password === "string" && password) world.linkPasswords.add(password);
    },
  },
  {
    name: "share/:slug (unlock)",
    route: "routes/share.$slug",
    runs: 260,
    actors: { anonymous: 4, owner: 1, stranger: 1, garbage: 1 },
    args: fc.tuple(
      fc.oneof(
        { weight: 5, arbitrary: ref("slug:protected") },
        { weight: 2, arbitrary: ref("slug:open") },
        { weight: 1, arbitrary: ref("slug:other") },
        { weight: 1, arbitrary: ref("slug:random") },
        { weight: 1, arbitrary: nastyString.map((s) => s.slice(0, 1500)) },
      ),
      fc.constantFrom("", "", "", "?period=7d", "?embed=1", "?f=country.is.FR", "?period=%ff&period=x"),
    ),
    path: ([slug, query]) => ({ path: `/share/${segment(slug)}${query}` }),
    body: formBody({
      password: field(oneof([3, ref("password:link")], [1, fc.constant(LINK_PASSWORD)]), oneof([2, edges("", "wrong password", "a".repeat(257), "a".repeat(100_000))], [1, poisoned(fc.constant(LINK_PASSWORD))])),
    }),
    success: () => false,
    always: (e) => e.table === "shared_links.unlock_counters",
  },
  {
    name: "account/api-keys",
    route: "routes/account.api-keys",
    runs: 260,
    actors: { owner: 3, viewer: 1, stranger: 1, anonymous: 1, garbage: 1 },
    path: () => ({ path: "/account/api-keys" }),
    body: fc.oneof(
      formBody({
        intent: field(fc.constant("create"), edges("CREATE", "revoke ", "")),
        name,
        integration: field(fc.constantFrom("on", "on"), edges("true", "1", "off", "", "on\u0000")),
      }),
      formBody({
        intent: field(fc.constant("revoke"), edges("REVOKE", "revoke ", "")),
        id: field(ref("apikey:self"), oneof([3, ref("apikey:other")], [1, ref("uuid:random")], [1, edges("", "null", "00000000-0000-0000-0000-000000000000")])),
      }),
    ),
    success: (e, ctx) => Boolean(ctx.actor.userId) && e.table === "api_keys" && e.scope === ctx.actor.userId,
    account: true,
  },
  {
    name: "api/event",
    route: "routes/api.event",
    runs: 260,
    actors: { anonymous: 5, owner: 1 },
    path: () => ({ path: "/api/event" }),
    // The tracker's JSON payload as text/plain (no preflight), or anything else.
    event: fc.record({
      payload: fc.oneof(
        {
          weight: 4,
          arbitrary: formBody({
            name: field(fc.constantFrom("pageview", "Signup", "Download"), edges("", "a".repeat(121), "page\u0000view")),
            url: field(
              oneof([3, fc.constantFrom("https://fuzz.example/", "https://fuzz.example/pricing?utm_source=x", "http://other.example/a")], [1, fc.webUrl()]),
              edges("", "fuzz.example/", "javascript:alert(1)", "https://", "file:///etc/passwd", `https://fuzz.example/${"a".repeat(17_000)}`),
            ),
            domain: field(fc.constantFrom(OWN, OTHER, "FUZZ.EXAMPLE", "www.fuzz.example"), edges("missing.example", "", "fuzz.example\u0000")),
            referrer: field(fc.constantFrom("", "https://google.com/", "android-app://com.example"), edges("not a url", "javascript:alert(1)", "a".repeat(3000))),
          }).map((pairs) => JSON.stringify(Object.fromEntries(pairs))),
        },
        { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((props) => JSON.stringify({ n: "pageview", u: "https://fuzz.example/", d: OWN, p: props })) },
        { weight: 1, arbitrary: nastyString },
      ),
      type: fc.constantFrom("text/plain", "text/plain", "text/plain", "application/json", "application/x-www-form-urlencoded", "multipart/form-data", null),
      userAgent: fc.constantFrom(undefined, undefined, undefined, "", "curl/8.5.0", "Googlebot/2.1", "Mozilla/5.0 \u00e9"),
    }),
    success: (e) => ["events", "visits"].includes(e.table),
  },
  {
    name: "shared-links/:id/delete",
    route: "routes/sites.$domain.settings.visibility_.shared-links.$id.delete",
    runs: 130,
    admin: true,
    actors: ADMIN_ACTORS,
    args: fc.tuple(pathDomain, pathId("link:own", "link:other")),
    path: ([domain, id]) => ({ path: `/sites/${segment(domain)}/settings/visibility/shared-links/${segment(id)}/delete`, domain }),
    body: formBody({ intent: field(fc.constant("delete")) }),
    success: siteSuccess,
  },
  {
    name: "segments/:id/delete",
    route: "routes/sites.$domain.settings.segments_.$id.delete",
    runs: 130,
    admin: true,
    actors: ADMIN_ACTORS,
    args: fc.tuple(pathDomain, pathId("segment:own", "segment:other")),
    path: ([domain, id]) => ({ path: `/sites/${segment(domain)}/settings/segments/${segment(id)}/delete`, domain }),
    body: formBody({ intent: field(fc.constant("delete")) }),
    success: siteSuccess,
  },
  {
    name: "shared-links/:id/digest",
    route: "routes/sites.$domain.settings.visibility_.shared-links.$id.digest",
    runs: 160,
    admin: true,
    actors: ADMIN_ACTORS,
    args: fc.tuple(pathDomain, pathId("link:own", "link:other")),
    path: ([domain, id]) => ({ path: `/sites/${segment(domain)}/settings/visibility/shared-links/${segment(id)}/digest`, domain }),
    body: fc.oneof(
      formBody({
        intent: field(fc.constant("schedule"), edges("SCHEDULE", "schedule ", "")),
        frequency: field(fc.constantFrom("weekly", "monthly", "off"), edges("daily", "WEEKLY", "null", "", "weekly\u0000")),
      }),
      formBody({
        intent: field(fc.constant("add"), edges("ADD", "add ", "")),
        email: field(oneof([3, ref("email:fresh")], [1, fc.emailAddress()]), oneof([2, edges("", "a@b", "@", `${"a".repeat(250)}@x.io`, " UPPER@FUZZ.TEST ")], [1, poisoned(ref("email:fresh"))])),
        name,
      }),
      formBody({
        intent: field(fc.constantFrom("remove", "preview", "resend"), edges("REMOVE", "preview ", "RESEND", "")),
        recipientId: field(ref("recipient:own"), oneof([2, ref("recipient:other")], [1, ref("uuid:random")], [1, edges("", "null", "00000000-0000-0000-0000-000000000000")])),
      }),
      formBody({ intent: field(fc.constant("preview-me"), edges("preview-me ", "PREVIEW-ME")) }),
    ),
    success: siteSuccess,
  },
  {
    // The link in a digest email: the token is the only permission. Opening it unsubscribes, and
    // a mail client's one-click POST does too, without a redirect: those changes are allowed to
    // any answer; adding or removing recipients never is.
    name: "unsubscribe/:token",
    route: "routes/unsubscribe.$token",
    runs: 80,
    actors: { anonymous: 4, owner: 1, garbage: 1 },
    args: oneof([4, ref("token:recipient")], [1, ref("slug:random")], [1, nastyString]),
    path: (token) => ({ path: `/unsubscribe/${segment(token)}` }),
    body: fc.oneof(
      formBody({ intent: field(fc.constant("resubscribe"), edges("RESUBSCRIBE", "")) }),
      formBody({ "List-Unsubscribe": field(fc.constant("One-Click"), edges("one-click", "", "One-Click\u0000")) }),
    ),
    always: (e) => e.table === "digest_recipients" && !e.isNew && !e.gone,
    success: (e) => e.table === "digest_recipients" && !e.isNew && !e.gone,
  },
  {
    // The upload endpoint answers in front of Remix (server/http/imports.ts): raw multipart bodies.
    name: "imports (upload)",
    route: null,
    runs: 160,
    admin: true,
    actors: ADMIN_ACTORS,
    args: pathDomain,
    path: (domain) => ({ path: `/api/sites/${segment(domain)}/imports`, domain }),
    upload: uploadBody,
    success: siteSuccess,
    settle: importsSettled,
  },
  {
    name: "settings/imports (include imported)",
    route: "routes/sites.$domain.settings.imports",
    runs: 120,
    admin: true,
    actors: ADMIN_ACTORS,
    args: pathDomain,
    path: (domain) => ({ path: `/sites/${segment(domain)}/settings/imports`, domain }),
    body: formBody({ include: field(fc.constantFrom("on", "on", ""), edges("off", "true", "ON", "on\u0000", "1")) }),
    success: siteSuccess,
  },
  {
    name: "imports/:id/delete",
    route: "routes/sites.$domain.settings.imports_.$id.delete",
    runs: 100,
    admin: true,
    actors: ADMIN_ACTORS,
    args: fc.tuple(pathDomain, pathId("import:own", "import:other")),
    path: ([domain, id]) => ({ path: `/sites/${segment(domain)}/settings/imports/${segment(id)}/delete`, domain }),
    body: formBody({ intent: field(fc.constant("delete")) }),
    success: siteSuccess,
  },
  {
    name: "logout",
    route: "routes/logout",
    runs: 100,
    actors: { throwaway: 3, anonymous: 2, garbage: 1 },
    path: () => ({ path: "/logout" }),
    body: formBody({}),
    success: () => false,
  },
];

// Fully random bodies (random keys and values, any encoding) at every action, by any actor.
TARGETS.push({
  name: "random bodies, every action",
  runs: 300,
  random: true,
  actors: { owner: 3, viewer: 1, stranger: 1, anonymous: 1, garbage: 1 },
  args: fc.constantFrom(...TARGETS.filter((t) => !t.event && !t.upload).map((t) => t.name)).chain((target) => {
    const t = TARGETS.find((x) => x.name === target);
    return fc.tuple(fc.constant(target), t.args ?? fc.constant(null));
  }),
  body: fc.array(fc.tuple(nastyString, nastyString), { maxLength: 8 }),
});
