import { z } from "zod";
import { email } from "./auth.js";
import { id, siteRef, text } from "./common.js";

export const DIGEST_FREQUENCIES = ["weekly", "monthly"] as const;
export type DigestFrequency = (typeof DIGEST_FREQUENCIES)[number];

export const FREQUENCY_LABELS: Record<DigestFrequency, string> = { weekly: "Weekly", monthly: "Monthly" };

/** When each digest goes out, in the words the settings page and the README use. */
export const FREQUENCY_HINTS: Record<DigestFrequency, string> = {
  weekly: "every Monday just after midnight (the site’s time zone), for the week from Monday to Sunday",
  monthly: "on the 1st of each month, for the month before",
};

/** Enough for a board or a client team; more is a mailing list, which this is not. */
export const MAX_RECIPIENTS = 50;
/**
 * Across all links of one site: signing up is open, and the server's mail reputation is the
 * operator's, so one account cannot turn it into a bulk mailer by making many links.
 */
export const MAX_SITE_RECIPIENTS = 200;
/** Previews mail at once, on demand: a few an hour per site is plenty to check how a digest reads. */
export const PREVIEWS_PER_HOUR = 10;
/** A confirmation link works this long; after it, the admin sends a new one. */
export const CONFIRM_DAYS = 7;
/** One recipient gets at most one confirmation email in this time, however often an admin asks. */
export const RESEND_AFTER_MINUTES = 60;
/**
 * Confirmation emails one address gets in a day from this whole server, whoever asks: a person
 * added by many accounts (or many sites of one) still gets only a few.
 */
export const CONFIRMATIONS_PER_ADDRESS_DAY = 5;

export const linkDigestInput = z.strictObject({ site: siteRef, id: id("Shared link") });

/** null turns the digest off (recipients are kept). */
export const setDigestScheduleInput = z.strictObject({
  site: siteRef,
  id: id("Shared link"),
  frequency: z.enum(DIGEST_FREQUENCIES, { error: "Choose weekly, monthly or off" }).nullable(),
});

export const addRecipientInput = z.strictObject({
  site: siteRef,
  id: id("Shared link"),
  email,
  name: z.union([text("Name", 100), z.literal("")]).optional(),
});

export const recipientRefInput = z.strictObject({ site: siteRef, id: id("Shared link"), recipientId: id("Recipient") });

/** A recipient's state, as the settings page, the API and the CLI name it. */
export const RECIPIENT_STATES = ["waiting", "confirmed", "unsubscribed"] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];
export const RECIPIENT_STATE_LABELS: Record<RecipientState, string> = {
  waiting: "Waiting for confirmation",
  confirmed: "Confirmed",
  unsubscribed: "Unsubscribed",
};

/** The secret of an unsubscribe link; anything else is refused without a database lookup. */
export const unsubscribeToken = z
  .string({ error: "This unsubscribe link is not valid" })
  .regex(/^[A-Za-z0-9_-]{32}$/, "This unsubscribe link is not valid");

export const unsubscribeInput = z.strictObject({ token: unsubscribeToken });

/** The secret of a confirmation link (same shape as an unsubscribe token, a different secret). */
export const confirmToken = z
  .string({ error: "This confirmation link is not valid" })
  .regex(/^[A-Za-z0-9_-]{32}$/, "This confirmation link is not valid");

export const confirmInput = z.strictObject({ token: confirmToken });
