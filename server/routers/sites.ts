import { addMemberInput, removeMemberInput, setMemberRoleInput } from "../schemas/members.js";
import { createSiteInput, siteInput } from "../schemas/sites.js";
import { addMemberByEmail, listMembers, removeMember, setMemberRole } from "../sites/members.js";
import { createSite, listSites } from "../sites/sites.js";
import { authedProcedure, router, siteProcedure } from "../trpc.js";

export const sitesRouter = router({
  list: authedProcedure.query(({ ctx }) => listSites(ctx.db, ctx.user.id)),
  get: siteProcedure("viewer")
    .input(siteInput)
    .query(({ ctx }) => ({ ...ctx.site, role: ctx.role })),
  members: router({
    list: siteProcedure("viewer")
      .input(siteInput)
      .query(({ ctx }) => listMembers(ctx.db, ctx.site.id)),
    add: siteProcedure("admin")
      .input(addMemberInput)
      .mutation(({ ctx, input }) => addMemberByEmail(ctx.db, ctx.site.id, input, ctx.user.id)),
    remove: siteProcedure("admin")
      .input(removeMemberInput)
      .mutation(({ ctx, input }) => removeMember(ctx.db, ctx.site.id, input.userId, ctx.user.id)),
    /** Viewer or admin; an owner's role stays, and so does the last admin's. */
    setRole: siteProcedure("admin")
      .input(setMemberRoleInput)
      .mutation(({ ctx, input }) => setMemberRole(ctx.db, ctx.site.id, input, ctx.user.id)),
  }),
  create: authedProcedure.input(createSiteInput).mutation(async ({ ctx, input }) => {
    const { site, role } = await createSite(ctx.db, ctx.user.id, input);
    return { ...site, role };
  }),
});
