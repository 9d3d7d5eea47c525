import { checkHealth } from "../system/health.js";
import { publicProcedure, router } from "../trpc.js";

export const systemRouter = router({
  health: publicProcedure.query(({ ctx }) => checkHealth(ctx)),
});
