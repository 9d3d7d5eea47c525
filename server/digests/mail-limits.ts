import type { Db } from "../../db/client.js";
import { env } from "../env.js";
import { limitKey } from "../net/client-address.js";
import { type Budget, takeHit } from "../rate-limit.js";
import { CONFIRMATIONS_PER_ADDRESS_DAY, RESEND_AFTER_MINUTES } from "../schemas/digests.js";

/** Who asks for mail to go out now: the account, and the client network it asks from (an IPv4 address or an IPv6 /64). */
export interface MailSender {
  userId: string;
  /** The account's own address: where "Send preview to me" goes. */
  email: string;
  client: string;
}

const HOUR = 60;
const DAY = 24 * 60;

/**
 * Budgets for mail sent on demand (confirmations and previews; scheduled digests go only to people
 * who confirmed). Sign-up is open and the mail server's reputation is the operator's, so each
 * account and each client network gets a few an hour and a day, whatever sites and links it
 * spreads them over. The account's own budgets come first: a client over them never counts
 * against its network's.
 */
function senderBudgets(sender: MailSender): Budget[] {
  const { mailsPerAccount: account, mailsPerNetwork: network } = env().digestLimits;
  const what = "digest emails (confirmations and previews)";
  return [
    { key: limitKey("digest-mail-account-hour", sender.userId), max: account.hour, windowMinutes: HOUR, message: `An account can send ${account.hour} ${what} an hour` },
    { key: limitKey("digest-mail-account-day", sender.userId), max: account.day, windowMinutes: DAY, message: `An account can send ${account.day} ${what} a day` },
    { key: limitKey("digest-mail-network-hour", sender.client), max: network.hour, windowMinutes: HOUR, message: `${network.hour} ${what} an hour can be sent from one network` },
    { key: limitKey("digest-mail-network-day", sender.client), max: network.day, windowMinutes: DAY, message: `${network.day} ${what} a day can be sent from one network` },
  ];
}

/**
 * The mailbox an address reaches, for counting what it gets: case and spaces aside, and without a
 * `+tag` (most mail services deliver victim+a@ and victim+b@ to one inbox).
 */
export function mailboxOf(address: string): string {
  const lower = address.trim().toLowerCase();
  const at = lower.lastIndexOf("@");
  if (at < 0) return lower;
  const local = lower.slice(0, at);
  const plus = local.indexOf("+");
  return `${plus > 0 ? local.slice(0, plus) : local}${lower.slice(at)}`;
}

/**
 * Counts one confirmation email before it is sent. Last, and shared by everyone: one mailbox gets
 * one an hour for a link (removing and adding it again does not send another) and only a few a
 * day from this server, whoever adds it. The messages do not say whether others asked too.
 */
export function takeConfirmationHit(db: Db, sender: MailSender, address: string, linkId: string, now: Date) {
  const mailbox = mailboxOf(address);
  const perLink: Budget = {
    key: limitKey("digest-confirm-link-address", linkId, mailbox),
    max: 1,
    windowMinutes: RESEND_AFTER_MINUTES,
    message: `A confirmation email went to this address for this link less than ${RESEND_AFTER_MINUTES} minutes ago`,
  };
  const perAddress: Budget = {
    key: limitKey("digest-confirm-address", mailbox),
    max: CONFIRMATIONS_PER_ADDRESS_DAY,
    windowMinutes: DAY,
    message: "No more confirmation emails go to this address today",
  };
  return takeHit(db, [...senderBudgets(sender), perLink, perAddress], now);
}

/** Counts one preview before it is built: the sender's budgets, then the site's. */
export function takePreviewHit(db: Db, sender: MailSender, site: Budget, now: Date) {
  return takeHit(db, [...senderBudgets(sender), site], now);
}
