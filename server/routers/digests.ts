import { confirm, confirmation, decline } from "../digests/confirmation.js";
import { resubscribe, subscription, unsubscribe } from "../digests/settings.js";
import { confirmInput, unsubscribeInput } from "../schemas/digests.js";
import { publicProcedure, router } from "../trpc.js";

/** What a digest's recipient can do without an account: the token from their email is the permission. */
export const digestsRouter = router({
  subscription: publicProcedure.input(unsubscribeInput).query(({ ctx, input }) => subscription(ctx.db, input.token)),
  unsubscribe: publicProcedure.input(unsubscribeInput).mutation(({ ctx, input }) => unsubscribe(ctx.db, input.token)),
  resubscribe: publicProcedure.input(unsubscribeInput).mutation(({ ctx, input }) => resubscribe(ctx.db, input.token)),
  /** The confirmation email's link: who asks, for which site, and the choice so far. Looking changes nothing. */
  confirmation: publicProcedure.input(confirmInput).query(({ ctx, input }) => confirmation(ctx.db, input.token, ctx.clock.now())),
  confirm: publicProcedure.input(confirmInput).mutation(({ ctx, input }) => confirm(ctx.db, input.token, ctx.clock.now())),
  /** "Don't send me anything": this site's digests send nothing to the address, and cannot add it again. */
  decline: publicProcedure.input(confirmInput).mutation(({ ctx, input }) => decline(ctx.db, input.token, ctx.clock.now())),
});
