import { createSiteInput, siteInput } from "../schemas/sites.js";
import { createSite, listSites } from "../sites/sites.js";
import { authedProcedure, router, siteProcedure } from "../trpc.js";

export const sitesRouter = router({
  list: authedProcedure.query(({ ctx }) => listSites(ctx.db, ctx.user.id)),
  get: siteProcedure("viewer")
    .input(siteInput)
    .query(({ ctx }) => ({ ...ctx.site, role: ctx.role })),
  create: authedProcedure.input(createSiteInput).mutation(async ({ ctx, input }) => {
    const { site, role } = await createSite(ctx.db, ctx.user.id, input);
    return { ...site, role };
  }),
});
