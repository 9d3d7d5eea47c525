import { importsPage, setIncludeImported } from "../imports/settings.js";
import { deleteImport, getImport } from "../imports/store.js";
import { importRefInput, includeImportedInput, listImportsInput } from "../schemas/imports.js";
import { router, siteProcedure } from "../trpc.js";

/**
 * Imports of a site's history are the admins': they change every dashboard of the site. Uploads
 * and exports are streams, not JSON, so they have HTTP endpoints of their own (http/imports.ts)
 * that check the same role.
 */
export const importsRouter = router({
  list: siteProcedure("admin")
    .input(listImportsInput)
    .query(({ ctx }) => importsPage(ctx.db, ctx.site.id)),
  get: siteProcedure("admin")
    .input(importRefInput)
    .query(({ ctx, input }) => getImport(ctx.db, ctx.site.id, input.id)),
  delete: siteProcedure("admin")
    .input(importRefInput)
    .mutation(async ({ ctx, input }) => {
      await deleteImport(ctx.db, ctx.site.id, input.id);
      return { deleted: input.id };
    }),
  setIncludeImported: siteProcedure("admin")
    .input(includeImportedInput)
    .mutation(({ ctx, input }) => setIncludeImported(ctx.db, ctx.site.id, input.include)),
});
