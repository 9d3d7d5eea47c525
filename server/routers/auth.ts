import { createApiKey, listApiKeys, revokeApiKey } from "../auth/api-keys.js";
import { requestPasswordReset, resetPassword, resetTarget } from "../auth/password-reset.js";
import { changePassword } from "../auth/change-password.js";
import { confirmationTarget, confirmEmail, emailStatus, requireProvenAddress, sendEmailConfirmation } from "../auth/email-confirmation.js";
import { sha256Hex } from "../auth/tokens.js";
import { endOtherSessions, listSessions } from "../auth/session-list.js";
import { deleteSession } from "../auth/sessions.js";
import { confirmTwoFactor, disableTwoFactor, startTwoFactorSetup, twoFactorStatus } from "../auth/totp.js";
import { login, loginWithCode, signup } from "../auth/users.js";
import { env } from "../env.js";
import { pauseBeforeRefusing } from "../refusals.js";
import {
  changePasswordInput,
  confirmTwoFactorInput,
  disableTwoFactorInput,
  emailConfirmationInput,
  loginCodeInput,
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

  /** A session, or (two-factor sign-in on) only a signed note for `loginCode` and no hint beyond that. */
  login: publicProcedure.input(loginInput).mutation(async ({ ctx, input }) => {
    const result = await pauseBeforeRefusing(ctx, () => login(ctx.db, input, ctx.client, ctx.userAgent, ctx.clock.now()));
    if (result.twoFactor) return { twoFactor: true as const, pending: result.pending };
    return { twoFactor: false as const, user: result.user, token: result.token, expiresAt: result.expiresAt.toISOString() };
  }),

  loginCode: publicProcedure.input(loginCodeInput).mutation(async ({ ctx, input }) => {
    const { user, token, expiresAt } = await pauseBeforeRefusing(ctx, () => loginWithCode(ctx.db, input, ctx.client, ctx.userAgent, ctx.clock.now()));
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

  /**
   * Sets the new password from a live link and ends every session of the account; where the link
   * is the first proof of the address, API keys and two-factor sign-in set up before it end too.
   */
  resetPassword: publicProcedure.input(resetPasswordInput).mutation(async ({ ctx, input }) => {
    const { email, unprovenCleared } = await pauseBeforeRefusing(ctx, () => resetPassword(ctx.db, input, ctx.client, ctx.clock.now()));
    return { email, unprovenCleared };
  }),

  /** The account's own address: whether it is proven, and the mailed link that proves it. */
  email: router({
    status: sessionProcedure.query(({ ctx }) => emailStatus(ctx.db, ctx.user.id)),
    sendConfirmation: sessionProcedure.mutation(({ ctx }) => pauseBeforeRefusing(ctx, () => sendEmailConfirmation(ctx.db, ctx.user.id, ctx.client, ctx.clock.now()))),
    /** What a link would confirm, or null once it is dead; for the page that asks before confirming. */
    target: publicProcedure.input(emailConfirmationInput).query(({ ctx, input }) => confirmationTarget(ctx.db, input.token, ctx.clock.now())),
    /** By the account itself, signed in: see confirmEmail. */
    confirm: sessionProcedure.input(emailConfirmationInput).mutation(({ ctx, input }) => confirmEmail(ctx.db, input.token, ctx.clock.now(), ctx.user.id)),
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

  twoFactor: router({
    status: sessionProcedure.query(({ ctx }) => twoFactorStatus(ctx.db, ctx.user.id)),
    /** A new secret to scan; nothing changes for sign-in until a first code confirms it. */
    start: sessionProcedure.mutation(async ({ ctx }) => {
      await requireProvenAddress(ctx.db, ctx.user.id);
      await startTwoFactorSetup(ctx.db, ctx.user.id);
      return { ok: true as const };
    }),
    /** Turns it on (a code from the app and the password); the ten recovery codes are in this answer and nowhere else. */
    confirm: sessionProcedure.input(confirmTwoFactorInput).mutation(async ({ ctx, input }) => {
      await requireProvenAddress(ctx.db, ctx.user.id);
      return pauseBeforeRefusing(ctx, () => confirmTwoFactor(ctx.db, ctx.user.id, input, ctx.clock.now()));
    }),
    disable: sessionProcedure.input(disableTwoFactorInput).mutation(async ({ ctx, input }) => {
      await pauseBeforeRefusing(ctx, () => disableTwoFactor(ctx.db, ctx.user.id, input, ctx.clock.now()));
      return { ok: true as const };
    }),
  }),

  apiKeys: router({
    list: sessionProcedure.query(({ ctx }) => listApiKeys(ctx.db, ctx.user.id)),
    create: sessionProcedure.input(createApiKeyInput).mutation(async ({ ctx, input }) => {
      // A session's key needs a proven address: sign-up takes any address (see requireProvenAddress).
      await requireProvenAddress(ctx.db, ctx.user.id);
      return createApiKey(ctx.db, ctx.user.id, input, sha256Hex(ctx.sessionToken!));
    }),
    revoke: sessionProcedure.input(revokeApiKeyInput).mutation(({ ctx, input }) => revokeApiKey(ctx.db, ctx.user.id, input.id)),
  }),
});
