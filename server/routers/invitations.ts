import { acceptInvitation, acceptWithNewAccount, invitationFor } from "../sites/invitation-accept.js";
import { inviteToSite, listInvitations, resendInvitation, revokeInvitation } from "../sites/invitations.js";
import { pauseBeforeRefusing } from "../refusals.js";
import { acceptWithPasswordInput, createInvitationInput, invitationRefInput, invitationTokenInput } from "../schemas/invitations.js";
import { siteInput } from "../schemas/sites.js";
import { publicProcedure, router, sessionProcedure, siteProcedure } from "../trpc.js";

/** Who invites: invitations and resends count per account and per client network. */
const inviter = (ctx: { user: { id: string; email: string }; client: string }) => ({ userId: ctx.user.id, email: ctx.user.email, client: ctx.client });

/**
 * A site's admins invite people by address with a role; the person at that address accepts with
 * the link (`token`), which is the only permission the invitee-side procedures take.
 */
export const invitationsRouter = router({
  list: siteProcedure("admin")
    .input(siteInput)
    .query(({ ctx }) => listInvitations(ctx.db, ctx.site.id, ctx.clock.now())),
  /** Mails the link, or (no SMTP_URL) returns it once in `link` for the admin to pass on. */
  create: siteProcedure("admin")
    .input(createInvitationInput)
    .mutation(({ ctx, input }) => pauseBeforeRefusing(ctx, () => inviteToSite(ctx.db, ctx.site, input, inviter(ctx), ctx.clock.now()))),
  /** A new link (the old one dies), mailed or returned as `create` does. */
  resend: siteProcedure("admin")
    .input(invitationRefInput)
    .mutation(({ ctx, input }) => pauseBeforeRefusing(ctx, () => resendInvitation(ctx.db, ctx.site, input.id, inviter(ctx), ctx.clock.now()))),
  revoke: siteProcedure("admin")
    .input(invitationRefInput)
    .mutation(({ ctx, input }) => revokeInvitation(ctx.db, ctx.site.id, input.id)),

  /** What the link is for and what its holder can do now (accept, log in, choose a password); null once dead. */
  get: publicProcedure.input(invitationTokenInput).query(async ({ ctx, input }) => {
    const auth = await ctx.auth();
    return invitationFor(ctx.db, input.token, auth?.kind === "session" ? auth.user : null, ctx.clock.now());
  }),
  /** For the account the invitation names, logged in here; anyone else is refused. */
  accept: sessionProcedure.input(invitationTokenInput).mutation(({ ctx, input }) => acceptInvitation(ctx.db, input.token, ctx.user, ctx.clock.now())),
  /** No account for the address yet: makes it with this password, joins the site, and returns a session. */
  acceptWithPassword: publicProcedure.input(acceptWithPasswordInput).mutation(async ({ ctx, input }) => {
    const { user, token, expiresAt, site, role } = await pauseBeforeRefusing(ctx, () => acceptWithNewAccount(ctx.db, input, ctx.client, ctx.userAgent, ctx.clock.now()));
    return { user, token, expiresAt: expiresAt.toISOString(), site, role };
  }),
});
