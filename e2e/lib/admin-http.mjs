// Admin set-up through the same forms a browser without JavaScript submits.
import { textOf } from "./http.mjs";

function expectRedirect(res, what) {
  if (res.status !== 302 && res.status !== 303) {
    const alert = /role="alert"[^>]*>([\s\S]*?)<\//.exec(res.body)?.[1];
    throw new Error(`${what}: expected a redirect, got ${res.status}${alert ? ` (${textOf(alert)})` : ""}`);
  }
  return res.location;
}

export async function signUp(client, email, password) {
  expectRedirect(await client.post("/signup", { email, password }), "sign up");
  if (!client.cookie("glimpse_session")) throw new Error("sign up: no session cookie");
}

export async function addSite(client, domain) {
  expectRedirect(await client.post("/sites/new", { domain, timezone: "UTC" }), `add site ${domain}`);
}

/** @param {Array<{dimension: string, operator: string, value: string}>} rows */
export async function addSegment(client, domain, name, rows) {
  const form = [["name", name], ["rows", String(rows.length)], ["intent", "save"]];
  rows.forEach((r, i) => form.push([`filters.${i}.dimension`, r.dimension], [`filters.${i}.operator`, r.operator], [`filters.${i}.value`, r.value]));
  expectRedirect(await client.post(`/sites/${domain}/settings/segments`, form), `add segment ${name}`);
  const segment = (await listSegments(client, domain)).find((s) => s.name === name);
  if (!segment) throw new Error(`segment ${name} not in the list after creating it`);
  return segment;
}

export async function listSegments(client, domain) {
  const { body } = await client.get(`/sites/${domain}/settings/segments`);
  return [...body.matchAll(/<a\s[^>]*>/g)].flatMap(([tag]) => {
    const id = /href="\/sites\/[^/"]+\/settings\/segments\/([0-9a-f-]{36})\/edit"/.exec(tag)?.[1];
    const name = /aria-label="Edit ([^"]*)"/.exec(tag)?.[1];
    return id && name ? [{ id, name: textOf(name) }] : [];
  });
}

export async function addLink(client, domain, { name, password = "", segmentId = "" }) {
  expectRedirect(await client.post(`/sites/${domain}/settings/visibility`, { name, password, segmentId }), `add link ${name}`);
  const link = (await listLinks(client, domain)).find((l) => l.name === name);
  if (!link) throw new Error(`link ${name} not in the list after creating it`);
  return link;
}

/** The rows of the shared-links table as the server rendered them. */
export async function listLinks(client, domain) {
  const { body } = await client.get(`/sites/${domain}/settings/visibility`);
  return parseLinksTable(body);
}

export function parseLinksTable(html) {
  const tbody = /<table[^>]*aria-label="Shared links"[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  return [...tbody.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map(([, marked]) => {
    // The separators screen readers get between badges and sub-lines are not part of any field.
    const row = marked.replaceAll('<span class="visually-hidden">, </span>', " ");
    const cell = (label) => textOf(new RegExp(`<td data-label="${label}"[^>]*>([\\s\\S]*?)</td>`).exec(row)?.[1] ?? "");
    // The name cell also holds the scope line, and the access cell the state badge: read them apart.
    const nameCell = new RegExp(`<td data-label="Name"[^>]*>([\\s\\S]*?)</td>`).exec(row)?.[1] ?? "";
    const access = cell("Access");
    const url = textOf(/<code>([\s\S]*?)<\/code>/.exec(row)?.[1] ?? "");
    return {
      id: /shared-links\/([0-9a-f-]{36})\/edit/.exec(row)?.[1] ?? null,
      name: textOf(nameCell.replace(/<div class="scope-summary">[\s\S]*?<\/div>/, "")),
      scope: textOf(/<div class="scope-summary">([\s\S]*?)<\/div>/.exec(nameCell)?.[1] ?? ""),
      state: /badge badge-(active|paused|expired)/.exec(row)?.[1] ?? null,
      created: cell("Created"),
      access: access.replace(/^(Active|Paused|Expired|Expires .*?)\s+(?=Protected|Open)/, ""),
      segment: cell("Segment"),
      views: cell("Views"),
      url,
      slug: url.split("/share/")[1] ?? null,
    };
  });
}

/** @param {{ name: string, passwordAction?: "keep"|"replace"|"remove", password?: string, segmentId?: string }} change */
export async function editLink(client, domain, id, { name, passwordAction = "keep", password = "", segmentId = "" }) {
  const res = await client.post(`/sites/${domain}/settings/visibility/shared-links/${id}/edit`, { name, passwordAction, password, segmentId });
  expectRedirect(res, `edit link ${name}`);
}

export async function deleteLink(client, domain, id) {
  expectRedirect(await client.post(`/sites/${domain}/settings/visibility/shared-links/${id}/delete`, {}), "delete link");
}
