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
  await runImports(db, { owner: "test" });
  return getImport(db, siteId, id);
}
