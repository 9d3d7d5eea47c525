// npm run bench:import [-- --rows 1000000 --no-save]   (DATABASE_URL set: PostgreSQL, else PGlite)
// Three years of a busy site in Plausible's CSV export (~1M rows over the ten tables, one zip)
// uploaded to the production server with an API key, as `npm run import` does; measures the time
// from the upload's first byte to the import's completion and the server's RSS above its level
// before the upload. Target (SPEC §9): within 60 s, RSS +≤ 100 MB. Writes bench/import-results.json.
import { createWriteStream, openAsBlob, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { strToU8, Zip, ZipDeflate } from "fflate";
import { createApiKey } from "../server/auth/api-keys.js";
import { ensureUser } from "../server/auth/users.js";
import { createGlimpseClient } from "../server/client.js";
import { createSite } from "../server/sites/sites.js";
import { log } from "./progress.js";
import { machine, revision } from "./report.js";
import { createScratch } from "./scratch.js";
import { ensureBuild, startGlimpse } from "./server.js";

process.chdir(resolve(dirname(fileURLToPath(import.meta.url)), ".."));
const { values } = parseArgs({ options: { rows: { type: "string", default: "1000000" }, "no-save": { type: "boolean", default: false } } });
const target = Number(values.rows);

/** Values per day of each table, scaled so the tables hold about `target` rows over 1,096 days. */
const DAYS = 1096;
const PER_DAY = { imported_visitors: 1, imported_sources: 150, imported_pages: 320, imported_entry_pages: 150, imported_exit_pages: 100, imported_custom_events: 20, imported_locations: 100, imported_devices: 3, imported_browsers: 40, imported_operating_systems: 30 };
const scale = target / (DAYS * Object.values(PER_DAY).reduce((a, b) => a + b, 0));

function day(i: number) {
  return new Date(Date.UTC(2021, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
}

/** Writes the export zip, a day at a time per table: the bench's own memory stays small too. */
async function writeExport(path: string): Promise<number> {
  const out = createWriteStream(path);
  let rows = 0;
  let seed = 1;
  const n = (max: number) => 1 + ((seed = (seed * 48271) % 2147483647) % max);
  const zip = new Zip((error, chunk) => {
    if (error) throw error;
    out.write(chunk);
  });
  const metrics = () => {
    const visitors = n(50);
    const visits = visitors + n(10);
    return `${visitors},${visits},${n(5000)},${n(visits)},${visits + n(40)}`;
  };
  const tables: Record<keyof typeof PER_DAY, [string, (i: number) => string]> = {
    imported_visitors: ["visitors,visits,visit_duration,bounces,pageviews", () => metrics()],
    imported_sources: ["source,referrer,utm_source,utm_medium,utm_campaign,visitors,visits,visit_duration,bounces,pageviews", (i) => `Source ${i % 40},ref${i}.example/path,,${i % 3 ? "organic" : "referral"},,${metrics()}`],
    imported_pages: ["hostname,page,visitors,visits,pageviews", (i) => `example.com,/blog/post-${i},${n(40)},${n(45)},${n(90)}`],
    imported_entry_pages: ["entry_page,visitors,entrances,visit_duration,bounces,pageviews", (i) => `/blog/post-${i},${metrics()}`],
    imported_exit_pages: ["exit_page,visitors,exits,visit_duration,bounces,pageviews", (i) => `/blog/post-${i},${metrics()}`],
    imported_custom_events: ["name,link_url,path,visitors,events", (i) => `Event ${i},,,${n(20)},${n(30)}`],
    imported_locations: ["country,region,city,visitors,visits,visit_duration,bounces,pageviews", (i) => `${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + ((i * 7) % 26))},,,${metrics()}`],
    imported_devices: ["device,visitors,visits,visit_duration,bounces,pageviews", (i) => `${["Desktop", "Mobile", "Tablet"][i % 3]},${metrics()}`],
    imported_browsers: ["browser,browser_version,visitors,visits,visit_duration,bounces,pageviews", (i) => `Browser ${i},${i}.0,${metrics()}`],
    imported_operating_systems: ["operating_system,operating_system_version,visitors,visits,visit_duration,bounces,pageviews", (i) => `OS ${i},,${metrics()}`],
  };
  for (const [table, [header, row]] of Object.entries(tables) as [keyof typeof PER_DAY, [string, (i: number) => string]][]) {
    const file = new ZipDeflate(`${table}_20210101_${day(DAYS - 1).replaceAll("-", "")}.csv`, { level: 6 });
    zip.add(file);
    file.push(strToU8(`date,${header}\n`));
    const perDay = Math.max(1, Math.round(PER_DAY[table] * scale));
    for (let d = 0; d < DAYS; d++) {
      const date = day(d);
      const lines: string[] = [];
      for (let i = 0; i < perDay; i++) lines.push(`${date},${row(i)}`);
      rows += perDay;
      file.push(strToU8(`${lines.join("\n")}\n`));
      if (!out.writableNeedDrain) continue;
      await new Promise<void>((r) => out.once("drain", () => r()));
    }
    file.push(new Uint8Array(), true);
  }
  zip.end();
  await new Promise<void>((r) => out.end(() => r()));
  return rows;
}

const databaseUrl = process.env.DATABASE_URL;
ensureBuild();
const scratch = await createScratch("imports", databaseUrl);
const user = await ensureUser(scratch.db, "bench-import@glimpse.local", "bench-password-2026");
const { site } = await createSite(scratch.db, user.id, { domain: "import.bench.local", timezone: "UTC" });
const { key } = await createApiKey(scratch.db, user.id, { name: "bench import" });
await scratch.close();

const zipPath = resolve("bench/.scratch/import-export.zip");
rmSync(zipPath, { force: true });
log(`Writing ${target.toLocaleString("en-US")} rows of Plausible's CSV export…`);
const rows = await writeExport(zipPath);
const zipMb = statSync(zipPath).size / 1024 / 1024;
log(`  ${rows.toLocaleString("en-US")} rows, zip ${zipMb.toFixed(1)} MB`);

// The heap cap `npm start` and the Docker image run with.
const server = await startGlimpse({ ...scratch.serverEnv, NODE_OPTIONS: "--max-old-space-size=128" });
let result;
try {
  const glimpse = createGlimpseClient({ url: server.url, apiKey: key });
  await glimpse.imports.list.query({ site: site.domain });
  await new Promise((r) => setTimeout(r, 2000));
  server.rss.reset();
  const before = server.rss.peak();
  const started = performance.now();
  const form = new FormData();
  form.append("files", await openAsBlob(zipPath), "export.zip");
  const res = await fetch(`${server.url}/api/sites/${site.domain}/imports`, { method: "POST", body: form, headers: { Authorization: `Bearer ${key}`, Accept: "application/json" } });
  if (res.status !== 202) throw new Error(`upload: ${res.status} ${await res.text()}`);
  const uploaded = (performance.now() - started) / 1000;
  const { id } = (await res.json()) as { id: string };
  let item = await glimpse.imports.get.query({ site: site.domain, id });
  while (item.status !== "completed" && item.status !== "failed") {
    await new Promise((r) => setTimeout(r, 250));
    item = await glimpse.imports.get.query({ site: site.domain, id });
  }
  const seconds = (performance.now() - started) / 1000;
  if (item.status === "failed") throw new Error(`import failed: ${item.error}`);
  const peak = server.rss.peak();
  result = {
    at: new Date().toISOString(),
    revision: revision(),
    machine: machine(scratch.kind, scratch.version),
    // The machine is shared: the run's figures depend on what else ran.
    loadAverage: Math.round(loadavg()[0]! * 10) / 10,
    database: scratch.version,
    csvRows: rows,
    importedRows: item.rows,
    zipMb: Math.round(zipMb * 10) / 10,
    uploadSeconds: Math.round(uploaded * 10) / 10,
    totalSeconds: Math.round(seconds * 10) / 10,
    rowsPerSecond: Math.round(item.rows / seconds),
    rssBeforeMb: before,
    rssPeakMb: peak,
    rssRiseMb: peak - before,
    targets: { seconds: 60, rssRiseMb: 100 },
  };
} finally {
  await server.stop();
  await scratch.drop();
  rmSync(zipPath, { force: true });
}
log(`\nImport of ${result.csvRows.toLocaleString("en-US")} CSV rows (${result.zipMb} MB zip) on ${result.database}:`);
log(`  upload ${result.uploadSeconds} s, completed after ${result.totalSeconds} s (target ≤ 60 s), ${result.rowsPerSecond.toLocaleString("en-US")} rows/s`);
log(`  server RSS ${result.rssBeforeMb} → ${result.rssPeakMb} MB: +${result.rssRiseMb} MB (target ≤ +100 MB)`);
if (!values["no-save"]) {
  const file = "bench/import-results.json";
  const all = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as unknown[]) : [];
  writeFileSync(file, `${JSON.stringify([...all, result], null, 2)}\n`);
  log(`  appended to ${file}`);
}
