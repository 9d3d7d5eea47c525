// npm run import -- --site DOMAIN FILE…   and   npm run export -- --site DOMAIN --out FILE
// Plausible's CSV format both ways, through the API with an API key (GLIMPSE_URL, GLIMPSE_API_KEY).
import { createWriteStream, openAsBlob } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { parseArgs } from "node:util";
import { createGlimpseClient, TRPCClientError } from "../server/client.js";
import { describeAdded } from "../server/schemas/imports.js";

const HELP = {
  import: `Usage: npm run import -- --site DOMAIN FILE… [--json]

Uploads Plausible's CSV export (its zip, or the imported_*.csv files) into the site's history and
waits for the import to finish. Exits 0 when it completed, 1 with the reason when it failed.`,
  export: `Usage: npm run export -- --site DOMAIN --out FILE.zip [--from YYYY-MM-DD] [--to YYYY-MM-DD]

Downloads the site's own data as Plausible's ten CSV tables of daily figures, in one zip
(every day of the site's own data up to yesterday; --from / --to narrow it).`,
};

class Failure extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

const command = process.argv[2] === "export" ? "export" : "import";

function options() {
  try {
    return parseArgs({
      args: process.argv.slice(3),
      allowPositionals: true,
      options: { site: { type: "string" }, out: { type: "string" }, from: { type: "string" }, to: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } },
    });
  } catch (error) {
    throw new Failure(`${(error as Error).message}\n\n${HELP[command]}`, 2);
  }
}

function connection() {
  const url = process.env.GLIMPSE_URL?.replace(/\/+$/, "");
  const apiKey = process.env.GLIMPSE_API_KEY;
  if (!url || !apiKey) throw new Failure("Set GLIMPSE_URL (e.g. http://localhost:3000) and GLIMPSE_API_KEY (Account → API keys)", 2);
  return { url, apiKey };
}

async function refusal(res: Response): Promise<Failure> {
  const text = await res.text();
  let message = text.trim();
  try {
    message = (JSON.parse(text) as { error?: string }).error ?? message;
  } catch {
    // Not JSON: a proxy's or the server's plain answer.
  }
  return new Failure(`${res.status}: ${message || res.statusText}`, 1);
}

async function runImport() {
  const { values, positionals } = options();
  if (values.help) return console.log(HELP.import);
  if (!values.site || positionals.length === 0) throw new Failure(HELP.import, 2);
  const { url, apiKey } = connection();
  // Before anything is asked: a Blob of a missing file fails only once fetch reads it, as if Glimpse could not be reached.
  for (const path of positionals) await checkFile(path);
  const glimpse = createGlimpseClient({ url, apiKey });
  // Asked first, so a wrong site or role is said before a byte of the upload is sent.
  await glimpse.imports.list.query({ site: values.site });
  const form = new FormData();
  for (const path of positionals) {
    // A Blob backed by the file: fetch streams it, nothing is read into memory first.
    const blob = await openAsBlob(path).catch(() => {
      throw new Failure(`${path}: cannot be read`, 1);
    });
    form.append("files", blob, basename(path));
  }
  const res = await fetch(`${url}/api/sites/${encodeURIComponent(values.site)}/imports`, { method: "POST", body: form, headers: { Authorization: `Bearer ${apiKey}`, Accept: "application/json" } });
  if (res.status !== 202) throw await refusal(res);
  const { id } = (await res.json()) as { id: string };
  let shown = -1;
  for (;;) {
    const item = await glimpse.imports.get.query({ site: values.site, id });
    if (item.status === "completed" || item.status === "failed") {
      if (values.json) console.log(JSON.stringify(item, null, 2));
      if (item.status === "failed") throw new Failure(`Import failed: ${item.error}`, 1);
      if (!values.json) {
        console.log(item.from ? `Imported ${item.from} to ${item.to}: ${describeAdded(item)}, ${item.rows.toLocaleString("en-US")} rows.` : "Imported no days.");
        if (item.skipped) console.log(`Skipped: ${item.skipped}.`);
      }
      return;
    }
    if (!values.json && item.progress !== shown) process.stderr.write(`${item.status === "running" ? `Importing, ${item.progress}%` : "Waiting to start"}\n`);
    shown = item.progress;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function checkFile(path: string): Promise<void> {
  const found = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new Failure(error.code === "ENOENT" ? `${path}: the file does not exist` : `${path}: cannot be read (${error.code ?? error.message})`, 1);
  });
  if (!found.isFile()) throw new Failure(`${path}: not a file`, 1);
}

async function runExport() {
  const { values } = options();
  if (values.help) return console.log(HELP.export);
  if (!values.site || !values.out) throw new Failure(HELP.export, 2);
  const { url, apiKey } = connection();
  const query = new URLSearchParams();
  if (values.from) query.set("from", values.from);
  if (values.to) query.set("to", values.to);
  const res = await fetch(`${url}/api/sites/${encodeURIComponent(values.site)}/export.zip${query.size ? `?${query}` : ""}`, { headers: { Authorization: `Bearer ${apiKey}`, Accept: "application/json" } });
  if (!res.ok || !res.body) throw await refusal(res);
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(values.out));
  console.log(`Wrote ${values.out} (${/filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? "export"}).`);
  // The export is allowed, so the key may list the site's imports: say when the zip holds no day.
  const { exportDays } = await createGlimpseClient({ url, apiKey }).imports.list.query({ site: values.site });
  if (!exportDays) console.log(`The site has no data of its own before today yet, so its ten tables hold no rows (imported days are not exported).`);
}

(command === "export" ? runExport() : runImport()).catch((error: unknown) => {
  if (error instanceof Failure) {
    console.error(error.message);
    process.exit(error.code);
  }
  if (error instanceof TRPCClientError) {
    const status = (error.data as { httpStatus?: number } | undefined)?.httpStatus;
    console.error(status ? `${status}: ${error.message}` : error.message);
  } else {
    console.error(error instanceof Error ? `Could not reach Glimpse: ${error.message}` : String(error));
  }
  process.exit(1);
});
