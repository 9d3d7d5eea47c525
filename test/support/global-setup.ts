import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { TestProject } from "vitest/node";
import { createDb } from "../../db/client.js";
import { migrateToLatest } from "../../db/migrate.js";

declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplate: string | null;
  }
}

/**
 * A new PGlite takes 2–3 s to start; loading a dump of an already migrated one takes about 0.5 s.
 * So the template is built once per run and every test file loads its own copy.
 */
export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide("pgliteTemplate", null);
    return;
  }
  const pglite = new PGlite();
  const db = createDb({ pglite });
  await migrateToLatest(db);
  const dump = await pglite.dumpDataDir("none");
  await db.destroy();
  const dir = mkdtempSync(join(tmpdir(), "glimpse-test-"));
  const file = join(dir, "template.tar");
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide("pgliteTemplate", file);
  return () => rmSync(dir, { recursive: true, force: true });
}
