import { createEmbedTokenInput, createLinkInput, linkRefInput, listLinksInput, updateLinkInput } from "../schemas/shared-links.js";
import { createEmbedToken } from "../shared-links/embed.js";
import { linkUsage, siteUsage } from "../shared-links/usage.js";
import { createLink, deleteLink, getLink, listLinks, updateLink } from "../shared-links/links.js";
import { router, siteProcedure } from "../trpc.js";

export const sharedLinksRouter = router({
  list: siteProcedure("viewer")
    .input(listLinksInput)
    .query(async ({ ctx }) => {
      const [links, usage] = await Promise.all([listLinks(ctx.db, ctx.site.id), siteUsage(ctx.db, ctx.site.id, ctx.site.timezone)]);
      return links.map((link) => ({
        ...link,
        uniqueViewers30d: usage.get(link.id)?.viewers ?? 0,
        failedUnlockSpike: usage.get(link.id)?.spike ?? null,
      }));
    }),
  /** Views, unique viewers and failed unlocks by day (30 days), and a failed-unlock spike if there is one now. */
  usage: siteProcedure("viewer")
    .input(linkRefInput)
    .query(async ({ ctx, input }) => {
      const link = await getLink(ctx.db, ctx.site.id, input.id);
      return { link: { id: link.id, name: link.name, viewCount: link.viewCount, lastViewedAt: link.lastViewedAt }, ...(await linkUsage(ctx.db, { id: link.id, timezone: ctx.site.timezone })) };
    }),
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
