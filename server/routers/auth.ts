import { createApiKey, listApiKeys, revokeApiKey } from "../auth/api-keys.js";
import { requestPasswordReset, resetPassword, resetTarget } from "../auth/password-reset.js";
import { changePassword } from "../auth/change-password.js";
import { endOtherSessions, listSessions } from "../auth/session-list.js";
import { deleteSession } from "../auth/sessions.js";
import { login, signup } from "../auth/users.js";
import { env } from "../env.js";
import { pauseBeforeRefusing } from "../refusals.js";
import {
  changePasswordInput,
  createApiKeyInput,
  loginInput,
  requestPasswordResetInput,
  resetPasswordInput,
  resetTokenInput,
  revokeApiKeyInput,
  signupInput,
} from "../schemas/auth.js";
import { publicProcedure, router, sessionProcedure } from "../trpc.js";

export const authRouter = router({
  signup: publicProcedure.input(signupInput).mutation(async ({ ctx, input }) => {
    const { user, token, expiresAt } = await pauseBeforeRefusing(ctx, () => signup(ctx.db, input, ctx.client, ctx.userAgent));
    return { user, token, expiresAt: expiresAt.toISOString() };
  }),

  login: publicProcedure.input(loginInput).mutation(async ({ ctx, input }) => {
    const { user, token, expiresAt } = await pauseBeforeRefusing(ctx, () => login(ctx.db, input, ctx.client, ctx.userAgent));
    return { user, token, expiresAt: expiresAt.toISOString() };
  }),

  logout: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await deleteSession(ctx.db, ctx.sessionToken);
    return { ok: true as const };
  }),

  me: publicProcedure.query(async ({ ctx }) => {
    const auth = await ctx.auth();
    return auth ? { id: auth.user.id, email: auth.user.email } : null;
  }),

  /** Whether this server can mail reset links (SMTP_URL), for the page to say what to do otherwise. */
  resetByMail: publicProcedure.query(() => env().mail !== null),

  /** Mails a reset link if the address has an account; the answer is the same either way. */
  requestPasswordReset: publicProcedure
    .input(requestPasswordResetInput)
    .mutation(({ ctx, input }) => pauseBeforeRefusing(ctx, () => requestPasswordReset(ctx.db, input, ctx.client, ctx.clock.now()))),

  /** Whom a reset link is for, or null once it is dead (expired, used, password changed). */
  resetTarget: publicProcedure.input(resetTokenInput).query(({ ctx, input }) => resetTarget(ctx.db, input.token, ctx.clock.now())),

  /** Sets the new password from a live link and ends every session of the account. */
  resetPassword: publicProcedure.input(resetPasswordInput).mutation(async ({ ctx, input }) => {
    const { email } = await pauseBeforeRefusing(ctx, () => resetPassword(ctx.db, input, ctx.client, ctx.clock.now()));
    return { email };
  }),

  sessions: router({
    list: sessionProcedure.query(({ ctx }) => listSessions(ctx.db, ctx.user.id, ctx.sessionToken, ctx.clock.now())),
    /** "Log out everywhere else": every session of the account but this browser's. */
    endOthers: sessionProcedure.mutation(async ({ ctx }) => ({ ended: await endOtherSessions(ctx.db, ctx.user.id, ctx.sessionToken!) })),
  }),

  /** Needs the current password; other sessions end unless `endOtherSessions` is false. */
  changePassword: sessionProcedure
    .input(changePasswordInput)
    .mutation(({ ctx, input }) => pauseBeforeRefusing(ctx, () => changePassword(ctx.db, ctx.user.id, input, ctx.sessionToken!, ctx.clock.now()))),

  apiKeys: router({
    list: sessionProcedure.query(({ ctx }) => listApiKeys(ctx.db, ctx.user.id)),
    create: sessionProcedure.input(createApiKeyInput).mutation(({ ctx, input }) => createApiKey(ctx.db, ctx.user.id, input)),
    revoke: sessionProcedure.input(revokeApiKeyInput).mutation(({ ctx, input }) => revokeApiKey(ctx.db, ctx.user.id, input.id)),
  }),
});
