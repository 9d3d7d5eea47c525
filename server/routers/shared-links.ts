import { createEmbedTokenInput, createLinkInput, linkRefInput, listLinksInput, updateLinkInput } from "../schemas/shared-links.js";
import { createEmbedToken } from "../shared-links/embed.js";
import { createLink, deleteLink, getLink, listLinks, updateLink } from "../shared-links/links.js";
import { router, siteProcedure } from "../trpc.js";

export const sharedLinksRouter = router({
  list: siteProcedure("viewer")
    .input(listLinksInput)
    .query(({ ctx, input }) => listLinks(ctx.db, ctx.site.id)),
  get: siteProcedure("viewer")
    .input(linkRefInput)
    .query(({ ctx, input }) => getLink(ctx.db, ctx.site.id, input.id)),
  create: siteProcedure("admin")
    .input(createLinkInput)
    .mutation(({ ctx, input }) => createLink(ctx.db, ctx.site.id, ctx.actor, input)),
  update: siteProcedure("admin")
    .input(updateLinkInput)
    .mutation(({ ctx, input }) => updateLink(ctx.db, ctx.site.id, ctx.actor, input)),
  createEmbedToken: siteProcedure("admin")
    .input(createEmbedTokenInput)
    .mutation(({ ctx, input }) => createEmbedToken(ctx.db, ctx.site.id, input)),
  delete: siteProcedure("admin")
    .input(linkRefInput)
    .mutation(({ ctx, input }) => deleteLink(ctx.db, ctx.site.id, ctx.actor, input.id)),
});
