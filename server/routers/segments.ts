import { createSegmentInput, segmentRefInput, updateSegmentInput } from "../schemas/segments.js";
import { siteInput } from "../schemas/sites.js";
import { createSegment, deleteSegment, getSegment, listSegments, updateSegment } from "../segments/segments.js";
import { router, siteProcedure } from "../trpc.js";

export const segmentsRouter = router({
  list: siteProcedure("viewer")
    .input(siteInput)
    .query(({ ctx }) => listSegments(ctx.db, ctx.site.id)),
  get: siteProcedure("viewer")
    .input(segmentRefInput)
    .query(({ ctx, input }) => getSegment(ctx.db, ctx.site.id, input.id)),
  create: siteProcedure("admin")
    .input(createSegmentInput)
    .mutation(({ ctx, input }) => createSegment(ctx.db, ctx.site.id, ctx.user.id, input)),
  update: siteProcedure("admin")
    .input(updateSegmentInput)
    .mutation(({ ctx, input }) => updateSegment(ctx.db, ctx.site.id, input)),
  delete: siteProcedure("admin")
    .input(segmentRefInput)
    .mutation(({ ctx, input }) => deleteSegment(ctx.db, ctx.site.id, input.id)),
});
