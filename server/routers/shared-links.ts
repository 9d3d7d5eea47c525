import { createEmbedTokenInput, createLinkInput, linkRefInput, listLinksInput, updateLinkInput } from "../schemas/shared-links.js";
import { createEmbedToken } from "../share/embed-link.js";
import { linkUsage, siteUsage } from "../shared-links/usage.js";
import { createLink, deleteLink, getLink, listLinks, updateLink } from "../shared-links/links.js";
import { router, siteProcedure } from "../trpc.js";
import { env } from "../env.js";
import { addRecipientInput, linkDigestInput, recipientRefInput, setDigestScheduleInput } from "../schemas/digests.js";
import { getDigestSettings, removeRecipient, setDigestSchedule } from "../digests/settings.js";
import { addRecipient, resendConfirmation } from "../digests/recipients.js";
import { sendPreview, sendPreviewToMe } from "../digests/preview.js";

/** Who asks for mail: the caps on mail sent on demand count per account and per client network. */
const sender = (ctx: { user: { id: string; email: string }; client: string }) => ({ userId: ctx.user.id, email: ctx.user.email, client: ctx.client });

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
  /** The link's digest: schedule, recipients (with when each last got one), the next send, and whether mail is on at all. */
  digest: siteProcedure("admin")
    .input(linkDigestInput)
    .query(async ({ ctx, input }) => ({ mailEnabled: env().mail !== null, ...(await getDigestSettings(ctx.db, ctx.site.id, input.id, ctx.clock.now())) })),
  setDigestSchedule: siteProcedure("admin")
    .input(setDigestScheduleInput)
    .mutation(async ({ ctx, input }) => {
      await setDigestSchedule(ctx.db, ctx.site.id, input.id, input.frequency);
      return { frequency: input.frequency };
    }),
  /** Adds a recipient who waits for confirmation; the one email they get asks for it (when mail is on). */
  addDigestRecipient: siteProcedure("admin")
    .input(addRecipientInput)
    .mutation(({ ctx, input }) => addRecipient(ctx.db, ctx.site, input.id, { email: input.email, name: input.name }, sender(ctx), ctx.clock.now())),
  /** A new confirmation email to a recipient who has not confirmed yet (at most one an hour). */
  resendDigestConfirmation: siteProcedure("admin")
    .input(recipientRefInput)
    .mutation(({ ctx, input }) => resendConfirmation(ctx.db, ctx.site, input.id, input.recipientId, sender(ctx), ctx.clock.now())),
  removeDigestRecipient: siteProcedure("admin")
    .input(recipientRefInput)
    .mutation(async ({ ctx, input }) => {
      await removeRecipient(ctx.db, ctx.site.id, input.id, input.recipientId);
      return { removed: true };
    }),
  /** The latest period's digest to one confirmed recipient now, marked as a preview. */
  sendDigestPreview: siteProcedure("admin")
    .input(recipientRefInput)
    .mutation(({ ctx, input }) => sendPreview(ctx, ctx.site.id, input.id, input.recipientId, sender(ctx))),
  /** The same preview to the caller's own account address. */
  sendDigestPreviewToMe: siteProcedure("admin")
    .input(linkDigestInput)
    .mutation(({ ctx, input }) => sendPreviewToMe(ctx, ctx.site.id, input.id, sender(ctx))),
  delete: siteProcedure("admin")
    .input(linkRefInput)
    .mutation(({ ctx, input }) => deleteLink(ctx.db, ctx.site.id, ctx.actor, input.id)),
});
