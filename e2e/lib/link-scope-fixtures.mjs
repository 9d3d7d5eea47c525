// Helpers of the link-scope spec: tRPC over HTTP with the admin's session, site-local days, the
// shared-links list with its state and scope line, traffic with distinctive values, a small zip
// and CSV reader (independent of the app's own), and axe on a page prepared in the probe.
import { inflateRawSync } from "node:zlib";
import { axeCheck, config } from "./browser.mjs";
import { Client, textOf } from "./http.mjs";
import { eventsWritten } from "./ingest.mjs";

export const UA = {
  desktop: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  mobile: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
};

/**
 * What the spec sends, all "now" (the event endpoint takes no timestamp): values no other part of
 * the page could contain, so their absence from a response means the section was not sent. The
 * UTM values start with = + @, which a spreadsheet would run as formulas.
 */
export const MARKS = {
  referrerHost: "ls-referrer.example",
  referrer: "ls-referrer.example/ls-ref-path",
  utmSource: "+ls_source",
  utmMedium: "@ls_medium",
  utmCampaign: "=ls_campaign",
  hnReferrer: "news.ycombinator.com/ls-item",
};

export const TRAFFIC = [
  {
    ip: "80.128.0.1", // Germany
    ua: UA.desktop,
    hits: [
      {
        path: `/ls-alpha-page?utm_source=${encodeURIComponent(MARKS.utmSource)}&utm_medium=${encodeURIComponent(MARKS.utmMedium)}&utm_campaign=${encodeURIComponent(MARKS.utmCampaign)}`,
        referrer: `https://${MARKS.referrer}`,
      },
      { path: "/ls-second-page", referrer: "" },
    ],
  },
  { ip: "8.8.8.8", ua: UA.mobile, hits: [{ path: "/ls-beta-page", referrer: `https://${MARKS.hnReferrer}` }] }, // United States
  { ip: "2003::1", ua: UA.desktop, hits: [{ path: "/ls-alpha-page", referrer: "" }] }, // Germany
];
export const INGESTED = { visitors: 3, pageviews: 4, germany: { visitors: 2, pageviews: 3 } };

/** Sends TRAFFIC and waits until it is written. */
export async function ingest(domain) {
  for (const visitor of TRAFFIC) {
    const client = new Client(config.baseUrl, { ip: visitor.ip, headers: { "User-Agent": visitor.ua } });
    for (const hit of visitor.hits) {
      const res = await client.request("/api/event", { json: { name: "pageview", url: `https://${domain}${hit.path}`, domain, referrer: hit.referrer }, cookies: false });
      if (res.status !== 202) throw new Error(`/api/event answered ${res.status}: ${res.body}`);
    }
  }
  await eventsWritten();
}

export async function addSiteIn(client, domain, timezone) {
  const res = await client.post("/sites/new", { domain, timezone });
  if (res.status !== 302 && res.status !== 303) throw new Error(`add site ${domain}: ${res.status}`);
}

/**
 * One tRPC call over HTTP with the client's cookies (a mutation carries our own Origin, as the
 * app's pages would). Returns the HTTP status, the data or the error as sent.
 */
export async function trpc(client, path, input, { mutation = false } = {}) {
  const res = mutation
    ? await client.request(`/api/trpc/${path}`, { method: "POST", json: input, headers: { Origin: client.baseUrl, "Sec-Fetch-Site": "same-origin" } })
    : await client.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`);
  let json = null;
  try {
    json = JSON.parse(res.body);
  } catch {
    // Not JSON: left as null, the status says what happened.
  }
  return { status: res.status, data: json?.result?.data, error: json?.error ?? null, body: res.body };
}

export async function createLinkApi(admin, site, input) {
  const res = await trpc(admin, "sharedLinks.create", { site, ...input }, { mutation: true });
  if (res.status !== 200) throw new Error(`sharedLinks.create ${input.name}: ${res.status} ${res.body.slice(0, 300)}`);
  return res.data;
}

/** The site-local day of an instant, "2026-12-01". */
export function localDay(date, timezone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
}

export function addDays(day, n) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** "Oct 1, 2026", as the app writes a day. */
export function longDay(day) {
  const [y, m, d] = day.split("-");
  return `${MONTHS[Number(m) - 1]} ${Number(d)}, ${y}`;
}

/** The rows of the shared-links table: name, scope line, state badge and access, as rendered. */
export function linkRows(html) {
  const tbody = /<table[^>]*aria-label="Shared links"[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  return [...tbody.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map(([, marked]) => {
    // The separators screen readers get between badges and sub-lines are not part of any field.
    const row = marked.replaceAll('<span class="visually-hidden">, </span>', " ");
    const nameCell = /<td data-label="Name"[^>]*>([\s\S]*?)<\/td>/.exec(row)?.[1] ?? "";
    const summary = /<div class="scope-summary">([\s\S]*?)<\/div>/.exec(nameCell)?.[1];
    const access = /<td data-label="Access"[^>]*>([\s\S]*?)<\/td>/.exec(row)?.[1] ?? "";
    const state = /<span class="badge badge-(active|paused|expired)">([\s\S]*?)<\/span>/.exec(access);
    return {
      id: /shared-links\/([0-9a-f-]{36})\/edit/.exec(row)?.[1] ?? null,
      name: textOf(nameCell.replace(/<div class="scope-summary">[\s\S]*?<\/div>/, "").replace(/<span class="badge[^"]*"[^>]*>[\s\S]*?<\/span>/g, "")),
      scope: summary === undefined ? null : textOf(summary),
      state: state?.[1] ?? null,
      stateLabel: state ? textOf(state[2]) : null,
      access: textOf(access),
    };
  });
}

/** The `<input>` tag of a field (and value, for radios and checkboxes) in server-rendered HTML. */
export function inputTag(html, name, value) {
  const tags = [...html.matchAll(/<input\b[^>]*>/g)].map(([t]) => t);
  return tags.find((t) => t.includes(` name="${name}"`) && (value === undefined || t.includes(` value="${value}"`))) ?? null;
}

export const isChecked = (tag) => /\schecked(=""|\s|\/?>)/.test(tag ?? "");
export const valueOf = (tag) => textOf(/\svalue="([^"]*)"/.exec(tag ?? "")?.[1] ?? "");

/** Files of a zip archive (stored or deflated entries), by name, as text. */
export function unzip(buffer) {
  const buf = Buffer.from(buffer);
  let end = buf.length - 22;
  while (end >= 0 && buf.readUInt32LE(end) !== 0x06054b50) end -= 1;
  if (end < 0) throw new Error("not a zip: no end of central directory");
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const files = {};
  for (let i = 0; i < count; i += 1) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error("broken central directory");
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLength = buf.readUInt16LE(at + 28);
    const skip = nameLength + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + size);
    files[name] = (method === 8 ? inflateRawSync(raw) : raw).toString("utf8");
    at += 46 + skip;
  }
  return files;
}

/** RFC 4180 CSV into rows of strings. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), (i += 1);
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(cell), (cell = "");
    else if (c === "\n") row.push(cell.replace(/\r$/, "")), rows.push(row), (row = []), (cell = "");
    else cell += c;
  }
  if (cell !== "" || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** axe after `prepare(probe)` has put the page in the state to check: browser.mjs's axeCheck does it. */
export const axeCheckPrepared = (page, name, prepare) => axeCheck(page, name, prepare);
