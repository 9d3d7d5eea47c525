import { z } from "zod";
import { id, siteRef } from "./common.js";

export const listImportsInput = z.strictObject({ site: siteRef });

export const importRefInput = z.strictObject({ site: siteRef, id: id("Import") });

export const includeImportedInput = z.strictObject({
  site: siteRef,
  include: z.boolean({ error: "Say whether dashboards include imported data" }),
});
