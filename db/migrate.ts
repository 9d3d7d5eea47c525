import { type Kysely, type Migration, type MigrationProvider, type MigrationResult, Migrator } from "kysely";
import * as m0001 from "./migrations/0001_initial.js";

/** Explicit and ordered, so migrations load the same way under vitest, tsx and the server bundle. */
const migrations: Record<string, Migration> = {
  "0001_initial": m0001,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((r) => r.status === "Error");
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`Migration ${failed?.migrationName ?? "(unknown)"} failed: ${message}`, { cause: error });
  }
  return results;
}
