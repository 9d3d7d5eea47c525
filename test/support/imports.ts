import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { Db } from "../../db/client.js";
import { runImports } from "../../server/imports/job.js";
import { createImport, getImport } from "../../server/imports/store.js";
import { UploadWriter } from "../../server/imports/upload.js";

export const PLAUSIBLE_FIXTURES = join(import.meta.dirname, "..", "fixtures", "plausible");

export const fixtureFiles = (only?: (name: string) => boolean) =>
  readdirSync(PLAUSIBLE_FIXTURES)
    .filter((name) => name.endsWith(".csv") && (!only || only(name)))
    .map((name) => ({ name, data: readFileSync(join(PLAUSIBLE_FIXTURES, name)) }));

/** Uploads files as the upload endpoint would and runs the job to its end. */
export async function importFiles(db: Db, siteId: string, userId: string, files: { name: string; data: Uint8Array }[]) {
  const id = await createImport(db, siteId, userId);
  const writer = new UploadWriter(db, id);
  for (const file of files) await writer.addFile(file.name, Readable.from([Buffer.from(file.data)]));
  await writer.finish();
  // A job that stops on our side (not on bad input) is a bug the caller should see.
  await runImports(db, { owner: "test", log: (line) => !line.includes(" completed ") && console.log(line) });
  return getImport(db, siteId, id);
}

/**
 * Generated history in Plausible's format for the days from…to: every table, a few values each,
 * counts drawn from the seed (visitors ≤ visits ≤ pageviews, so the figures are plausible).
 */
export function importedHistory(seed: number, from: string, to: string, countries: string[]) {
  let state = seed * 7919;
  const next = (max: number) => 1 + ((state = (state * 48271) % 2147483647) % max);
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  const compact = (day: string) => day.replaceAll("-", "");
  const name = (table: string) => `${table}_${compact(from)}_${compact(to)}.csv`;
  const visit = () => {
    const visitors = next(40);
    const visits = visitors + next(5);
    return [visitors, visits, next(3000), next(visits), visits + next(30)];
  };
  const table = (header: string, values: string[]) =>
    `date,${header},visitors,visits,visit_duration,bounces,pageviews\n${days.flatMap((day) => values.map((value) => `${day},${value},${visit().join(",")}`)).join("\n")}\n`;
  const files: Record<string, string> = {
    imported_visitors: `date,visitors,visits,visit_duration,bounces,pageviews\n${days.map((day) => `${day},${visit().join(",")}`).join("\n")}\n`,
    imported_sources: table("source,referrer,utm_medium", ["Google,,organic", ",,", "Hacker News,news.ycombinator.com,referral"]),
    imported_locations: table("country", countries),
    imported_devices: table("device", ["Desktop", "Mobile"]),
    imported_browsers: table("browser", ["Chrome", "Safari", "Firefox"]),
    imported_operating_systems: table("operating_system", ["Windows", "iOS", "Android"]),
    imported_pages: `date,hostname,page,visitors,pageviews\n${days.flatMap((day) => ["/", "/pricing", "/docs"].map((page) => `${day},example.com,${page},${next(30)},${30 + next(30)}`)).join("\n")}\n`,
    imported_entry_pages: `date,entry_page,visitors,entrances\n${days.flatMap((day) => ["/", "/docs"].map((page) => `${day},${page},${next(20)},${20 + next(5)}`)).join("\n")}\n`,
    imported_custom_events: `date,name,visitors,events\n${days.map((day) => `${day},Signup,${next(5)},${5 + next(5)}`).join("\n")}\n`,
  };
  return Object.entries(files).map(([table, text]) => ({ name: name(table), data: Buffer.from(text) }));
}
