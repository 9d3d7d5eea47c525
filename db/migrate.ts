import { type Kysely, type Migration, type MigrationProvider, type MigrationResult, Migrator, sql } from "kysely";
import * as m0001 from "./migrations/0001_initial.js";
import * as m0002 from "./migrations/0002_goals.js";
import * as m0003 from "./migrations/0003_stats_version.js";
import * as m0004 from "./migrations/0004_link_scope.js";
import * as m0005 from "./migrations/0005_embed_origins.js";
import * as m0006 from "./migrations/0006_link_usage.js";
import * as m0007 from "./migrations/0007_digests.js";
import * as m0008 from "./migrations/0008_digest_confirmation.js";
import * as m0009 from "./migrations/0009_events_props_index.js";
import * as m0010 from "./migrations/0010_clickhouse_copy.js";
import * as m0011 from "./migrations/0011_imports.js";
import * as m0012 from "./migrations/0012_accounts.js";
import * as m0013 from "./migrations/0013_invitations.js";
import * as m0014 from "./migrations/0014_email_confirmation.js";

/** Explicit and ordered, so migrations load the same way under vitest, tsx and the server bundle. */
export const migrations: Record<string, Migration> = {
  "0001_initial": m0001,
  "0002_goals": m0002,
  "0003_stats_version": m0003,
  "0004_link_scope": m0004,
  "0005_embed_origins": m0005,
  "0006_link_usage": m0006,
  "0007_digests": m0007,
  "0008_digest_confirmation": m0008,
  "0009_events_props_index": m0009,
  "0010_clickhouse_copy": m0010,
  "0011_imports": m0011,
  "0012_accounts": m0012,
  "0013_invitations": m0013,
  "0014_email_confirmation": m0014,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * On one connection without the statement timeout that request queries run under: a migration
 * on a big table may rightly take minutes.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
  const { error, results = [] } = await db.connection().execute(async (connection) => {
    await sql`set statement_timeout = 0`.execute(connection);
    try {
      return await new Migrator({ db: connection, provider }).migrateToLatest();
    } finally {
      await sql`reset statement_timeout`.execute(connection);
    }
  });
  if (error) {
    const failed = results.find((r) => r.status === "Error");
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`Migration ${failed?.migrationName ?? "(unknown)"} failed: ${message}`, { cause: error });
  }
  return results;
}
