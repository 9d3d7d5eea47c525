import { shareBreakdownInput, shareRefInput, shareRevisitInput, shareStatsInput, unlockInput } from "../schemas/share.js";
import { contentVersion, findLink, isUnlocked, requireAccess } from "../share/access.js";
import { unlockLink } from "../share/unlock.js";
import { pauseBeforeRefusing } from "../refusals.js";
import { withinViewLimits } from "../share/view-limits.js";
import { recordView } from "../share/views.js";
import { nowFrom } from "../stats/clock.js";
import { getBreakdown, getDashboardStats } from "../stats/dashboard.js";
import { publicProcedure, router } from "../trpc.js";

/**
 * What a recipient can do, by slug only. Every data procedure re-checks the unlock, and the link's
 * segment is read from the database on each call and ANDed in: no input can name, drop or widen it.
 * Views with the recipient's own filters are bounded per client and per link before any of that.
 */
export const shareRouter = router({
  resolve: publicProcedure.input(shareRefInput).query(async ({ ctx, input }) => {
    const link = await findLink(ctx.db, input.slug);
    if (!isUnlocked(link, ctx.unlocks, nowFrom(ctx))) return { locked: true as const };
    return {
      locked: false as const,
      protected: link.passwordHash !== null,
      site: { domain: link.site.domain, timezone: link.site.timezone },
      segment: link.segment,
    };
  }),

  unlock: publicProcedure.input(unlockInput).mutation(async ({ ctx, input }) => {
    const { fingerprint, expiresAt } = await pauseBeforeRefusing(ctx, () => unlockLink(ctx.db, input, ctx.client, nowFrom(ctx)));
    return { slug: input.slug, fingerprint, expiresAt: expiresAt.toISOString() };
  }),

  stats: publicProcedure.input(shareStatsInput).query(({ ctx, input }) =>
    withinViewLimits(ctx, input.slug, input.filters.length > 0, async () => {
      const now = nowFrom(ctx);
      const link = await requireAccess(ctx.db, input.slug, ctx.unlocks, now);
      const stats = await getDashboardStats(ctx.db, link.site, {
        period: input.period,
        filters: input.filters,
        segmentFilters: link.segment?.filters ?? [],
        now,
      });
      recordView(ctx.db, link.id, now);
      return { ...stats, segment: link.segment, version: contentVersion(link) };
    }),
  ),

  /**
   * For a page rendered from `stats` moments ago and shown again: the same access check, and the
   * view is counted, but only while the link still shows what that page shows (`current: false`
   * means: ask `stats` again; no view was counted).
   */
  revisit: publicProcedure.input(shareRevisitInput).query(async ({ ctx, input }) => {
    const now = nowFrom(ctx);
    const link = await requireAccess(ctx.db, input.slug, ctx.unlocks, now);
    if (contentVersion(link) !== input.version) return { current: false };
    recordView(ctx.db, link.id, now);
    return { current: true };
  }),

  breakdown: publicProcedure.input(shareBreakdownInput).query(({ ctx, input }) =>
    withinViewLimits(ctx, input.slug, input.filters.length > 0, async () => {
      const now = nowFrom(ctx);
      const link = await requireAccess(ctx.db, input.slug, ctx.unlocks, now);
      return getBreakdown(ctx.db, link.site, {
        period: input.period,
        filters: input.filters,
        segmentFilters: link.segment?.filters ?? [],
        dimension: input.dimension,
        limit: input.limit,
        now,
      });
    }),
  ),
});
