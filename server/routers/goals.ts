import { createGoal, deleteGoal, getGoal, listGoals, updateGoal } from "../goals/goals.js";
import { createGoalInput, goalRefInput, listGoalsInput, updateGoalInput } from "../schemas/goals.js";
import { router, siteProcedure } from "../trpc.js";

/** Admins manage goals; anyone who sees the site's dashboard sees them. */
export const goalsRouter = router({
  list: siteProcedure("viewer")
    .input(listGoalsInput)
    .query(({ ctx }) => listGoals(ctx.db, ctx.site.id)),
  get: siteProcedure("viewer")
    .input(goalRefInput)
    .query(({ ctx, input }) => getGoal(ctx.db, ctx.site.id, input.id)),
  create: siteProcedure("admin")
    .input(createGoalInput)
    .mutation(({ ctx, input }) => createGoal(ctx.db, ctx.site.id, input)),
  update: siteProcedure("admin")
    .input(updateGoalInput)
    .mutation(({ ctx, input }) => updateGoal(ctx.db, ctx.site.id, input)),
  delete: siteProcedure("admin")
    .input(goalRefInput)
    .mutation(({ ctx, input }) => deleteGoal(ctx.db, ctx.site.id, input.id)),
});
