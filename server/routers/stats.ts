import { z } from "zod";
import { siteRef } from "../schemas/common.js";
import { DIMENSIONS } from "../schemas/filters.js";
import { statsQuery } from "../schemas/stats.js";
import { getBreakdown, getDashboardStats } from "../stats/dashboard.js";
import { router, siteProcedure } from "../trpc.js";

const limit = (max: number) =>
  z
    .number({ error: "Limit must be a number" })
    .int("Limit must be a whole number")
    .min(1, "Limit must be at least 1")
    .max(max, `Limit must be at most ${max}`);

export const dashboardInput = z.strictObject({ site: siteRef, ...statsQuery, limit: limit(100).optional() });

export const breakdownInput = z.strictObject({
  site: siteRef,
  ...statsQuery,
  dimension: z.enum(DIMENSIONS, { error: "Choose a dimension from the list" }),
  limit: limit(100).default(100),
});

export const statsRouter = router({
  dashboard: siteProcedure("viewer")
    .input(dashboardInput)
    .query(({ ctx, input }) =>
      getDashboardStats(ctx, ctx.site, { period: input.period, filters: input.filters, limit: input.limit }),
    ),
  breakdown: siteProcedure("viewer")
    .input(breakdownInput)
    .query(({ ctx, input }) =>
      getBreakdown(ctx, ctx.site, { period: input.period, filters: input.filters, dimension: input.dimension, limit: input.limit }),
    ),
});
