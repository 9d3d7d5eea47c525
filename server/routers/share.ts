import { shareBreakdownInput, shareExportInput, shareRefInput, shareRevisitInput, shareStatsInput, unlockInput } from "../schemas/share.js";
import { contentVersion, findLink, isUnlocked, requireAccess, requireLive, type ShareLink } from "../share/access.js";
import { exportView } from "../share/export.js";
import { linkKey, openView, scopeSummary } from "../share/scope.js";
import { shareBreakdown, shareDashboard } from "../share/share-stats.js";
import { unlockLink } from "../share/unlock.js";
import { pauseBeforeRefusing } from "../refusals.js";
import { withinViewLimits } from "../share/view-limits.js";
import { pageView } from "../share/viewer.js";
import type { Context } from "../context.js";
import { publicProcedure, router } from "../trpc.js";

/**
 * What a recipient can do, by slug only. Every data procedure opens the link's scope (share/scope.ts)
 * afresh: it re-checks that the link is live and unlocked, reads its segment, bounds, sections and
 * permissions from the database, and computes only from that. No input can name, drop or widen
 * any of it. Views with the recipient's own filters are bounded per client and per link first.
 */
/** Pages count as views; the same calls over the API do not (SPEC §4: API calls are not page views). */
async function countView(ctx: Context, link: ShareLink, now: Date) {
  if (ctx.surface !== "page") return;
  ctx.views.record(await pageView(ctx.salts, link, ctx, now), now);
}

export const shareRouter = router({
  resolve: publicProcedure.input(shareRefInput).query(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    const link = await findLink(ctx.db, input.slug);
    requireLive(link, now);
    if (!isUnlocked(link, ctx.unlocks, now)) return { locked: true as const };
    return {
      locked: false as const,
      protected: link.passwordHash !== null,
      site: { domain: link.site.domain, timezone: link.site.timezone },
      segment: link.segment,
      dateBounds: link.bounds,
      visibleSections: link.sections,
      allowPeriodChange: link.allowPeriodChange,
      allowFilters: link.allowFilters,
      allowExport: link.allowExport,
      expiresAt: link.expiresAt?.toISOString() ?? null,
    };
  }),

  unlock: publicProcedure.input(unlockInput).mutation(async ({ ctx, input }) => {
    const { fingerprint, expiresAt } = await pauseBeforeRefusing(ctx, () => unlockLink(ctx.db, input, ctx.client, ctx.clock.now()));
    return { slug: input.slug, fingerprint, expiresAt: expiresAt.toISOString() };
  }),

  stats: publicProcedure.input(shareStatsInput).query(({ ctx, input }) =>
    withinViewLimits(ctx, linkKey(input, ctx.clock.now()), input.filters.length > 0, async () => {
      const now = ctx.clock.now();
      const view = await openView(ctx.db, input, ctx.unlocks, input, now);
      const stats = await shareDashboard(ctx, view);
      await countView(ctx, view.link, now);
      return { ...stats, segment: view.link.segment, scope: scopeSummary(view), version: contentVersion(view.link) };
    }),
  ),

  /**
   * For a page rendered from `stats` moments ago and shown again: the same access check, and the
   * view is counted, but only while the link still shows what that page shows (`current: false`
   * means: ask `stats` again; no view was counted).
   */
  revisit: publicProcedure.input(shareRevisitInput).query(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    const link = await requireAccess(ctx.db, input.slug, ctx.unlocks, now);
    if (contentVersion(link) !== input.version) return { current: false };
    await countView(ctx, link, now);
    return { current: true };
  }),

  breakdown: publicProcedure.input(shareBreakdownInput).query(({ ctx, input }) =>
    withinViewLimits(ctx, linkKey(input, ctx.clock.now()), input.filters.length > 0, async () => {
      const view = await openView(ctx.db, input, ctx.unlocks, input, ctx.clock.now());
      const breakdown = await shareBreakdown(ctx, view, input.dimension, input.limit);
      return { ...breakdown, scope: scopeSummary(view) };
    }),
  ),

  /** The recipient's view as tables, for CSV: only where the link allows downloads. */
  export: publicProcedure.input(shareExportInput).query(({ ctx, input }) =>
    withinViewLimits(ctx, linkKey(input, ctx.clock.now()), true, async () => {
      const view = await openView(ctx.db, input, ctx.unlocks, input, ctx.clock.now());
      return exportView(ctx, view, input.part);
    }),
  ),
});
