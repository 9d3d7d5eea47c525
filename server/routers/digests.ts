import { resubscribe, subscription, unsubscribe } from "../digests/settings.js";
import { unsubscribeInput } from "../schemas/digests.js";
import { publicProcedure, router } from "../trpc.js";

/** What a digest's recipient can do without an account: the token from their email is the permission. */
export const digestsRouter = router({
  subscription: publicProcedure.input(unsubscribeInput).query(({ ctx, input }) => subscription(ctx.db, input.token)),
  unsubscribe: publicProcedure.input(unsubscribeInput).mutation(({ ctx, input }) => unsubscribe(ctx.db, input.token)),
  resubscribe: publicProcedure.input(unsubscribeInput).mutation(({ ctx, input }) => resubscribe(ctx.db, input.token)),
});
