import { z } from "zod";
import { email, linkToken } from "./auth.js";
import { id, password, siteRef } from "./common.js";

/** An invitation's link works this long; after it, an admin resends it (a new link). */
export const INVITE_DAYS = 7;
/** One invitation is mailed at most once in this time, however often an admin presses Resend. */
export const INVITE_RESEND_MINUTES = 10;
/** Pending invitations per site: a team, not a mailing list. */
export const MAX_PENDING_PER_SITE = 50;
/** Pending invitations one account has made over all its sites (sign-up is open, sites are cheap). */
export const MAX_PENDING_PER_ACCOUNT = 100;
/**
 * Invitations and resends (each may be a mail) per account and per client network, an hour and a
 * day; and mails one address gets from this whole server in a day, whoever invites it.
 */
export const INVITES_PER_ACCOUNT = { hour: 20, day: 60 };
export const INVITES_PER_NETWORK = { hour: 40, day: 120 };
export const INVITES_PER_ADDRESS_DAY = 5;

export const inviteRole = z.enum(["viewer", "admin"], { error: "Choose Viewer or Admin" });

export const createInvitationInput = z.strictObject({ site: siteRef, email, role: inviteRole });

export const invitationRefInput = z.strictObject({ site: siteRef, id: id("Invitation") });

export const invitationTokenInput = z.strictObject({ token: linkToken });

export const acceptWithPasswordInput = z.strictObject({ token: linkToken, password });
