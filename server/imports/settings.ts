import type { Db } from "../../db/client.js";
import { type ExportRange, ownDays } from "./export.js";
import { IMPORT_LIMITS } from "./limits.js";
import { type ImportSummary, listImports } from "./store.js";

export interface ImportsPage {
  imports: ImportSummary[];
  /** Dashboards add the days of completed imports. */
  includeImported: boolean;
  /** The largest upload, in bytes. */
  uploadLimitBytes: number;
  /** The days an export holds (the site's own, up to yesterday); null while it has none. */
  exportDays: ExportRange | null;
}

export async function importsPage(db: Db, siteId: string): Promise<ImportsPage> {
  const [imports, site] = await Promise.all([listImports(db, siteId), db.selectFrom("sites").select(["id", "include_imported", "timezone"]).where("id", "=", siteId).executeTakeFirstOrThrow()]);
  return { imports, includeImported: site.include_imported, uploadLimitBytes: IMPORT_LIMITS.uploadBytes, exportDays: await ownDays(db, site) };
}

export async function setIncludeImported(db: Db, siteId: string, include: boolean): Promise<{ includeImported: boolean }> {
  await db.updateTable("sites").set({ include_imported: include }).where("id", "=", siteId).execute();
  return { includeImported: include };
}
