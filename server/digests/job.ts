import { sql, type Updateable } from "kysely";
import type { Db } from "../../db/client.js";
import type { DigestSendsTable } from "../../db/schema.js";
import type { StatsServices } from "../stats/dashboard.js";
import { linkState } from "../shared-links/link-scope.js";
import type { MailMessage } from "./email.js";
import { digestMessage, type PlannedDigest } from "./message.js";
import type { Mailer } from "./mailer.js";
import { isDue, lastCompletePeriod } from "./periods.js";

/**
 * The digest schedule, kept in Postgres so that any number of instances can run it:
 *
 * 1. Plan: every due (recipient, period) gets a `digest_sends` row. Its primary key makes the
 *    insert happen once, whichever instance plans first and however often they restart.
 * 2. Claim: one pending row at a time is leased to one instance (FOR UPDATE SKIP LOCKED), so two
 *    instances never send the same digest at once. The lease is renewed just before the mail goes
 *    out and is far longer than a send can take (the SMTP timeouts bound it), so it cannot run out
 *    mid-send; instances' clocks need only agree to within minutes.
 * 3. Send, then mark it sent. A failure (or a crash) leaves it pending; after the lease, any
 *    instance tries again, so a missed digest is caught up.
 *
 * The one window for a repeat is a crash after the mail server accepted a digest and before it
 * was marked sent: milliseconds. The stable Message-ID lets mail systems recognise the repeat.
 */

/** Longer than a send can take (the SMTP timeouts are under two minutes). */
export const LEASE_MS = 10 * 60_000;
/** After this many failed attempts a digest is given up (its error stays on the row). */
export const MAX_ATTEMPTS = 5;

export interface RunOptions {
  /** When the run happens: which periods are due. */
  now: Date;
  /** The time for leases, read at each claim (a run may take minutes); `now` when not given. */
  clock?: () => Date;
  /** Names this instance in the leases it takes. */
  owner: string;
  /** The host part of Message-IDs. */
  host: string;
}

export interface RunResult {
  sent: number;
  /** Failed this time, to be tried again after a pause. */
  retrying: number;
  /** Given up after MAX_ATTEMPTS. */
  failed: number;
  /** No longer due: unsubscribed, paused, expired, or outside the link's dates. */
  skipped: number;
}

export async function runDigests(stats: StatsServices, mailer: Mailer, options: RunOptions): Promise<RunResult> {
  const { db } = stats;
  await planDue(db, options.now);
  const result: RunResult = { sent: 0, retrying: 0, failed: 0, skipped: 0 };
  // One at a time: a lease covers one digest, never a queue of them behind a slow mail server.
  for (let send = await claim(db, options); send; send = await claim(db, options)) {
    result[await deliver(stats, mailer, send, options)] += 1;
  }
  return result;
}

const clockOf = (options: RunOptions) => (options.clock ?? (() => options.now))();

/** Rows for every digest that is due now: the latest period of each live link's schedule. */
async function planDue(db: Db, now: Date): Promise<void> {
  const rows = await db
    .selectFrom("link_digests as d")
    .innerJoin("shared_links as l", "l.id", "d.link_id")
    .innerJoin("sites as s", "s.id", "l.site_id")
    .innerJoin("digest_recipients as r", "r.link_id", "d.link_id")
    .select(["r.id as recipient_id", "r.created_at", "d.frequency", "d.since", "s.timezone", "l.expires_at", "l.paused_at"])
    .where("r.unsubscribed_at", "is", null)
    // Double opt-in: nobody gets a digest before they confirmed.
    .where("r.confirmed_at", "is not", null)
    .execute();
  const due = rows.flatMap((row) => {
    if (linkState(row, now) !== "active") return [];
    const period = lastCompletePeriod(row.frequency, row.timezone, now);
    return isDue(period, now, row.created_at, row.since)
      ? [{ recipient_id: row.recipient_id, period_from: period.from, period_to: period.to, frequency: row.frequency }]
      : [];
  });
  // A digest whose every attempt ended with its instance gone (never marked either way) is given up too.
  await db
    .updateTable("digest_sends")
    .set({ status: "failed", last_error: `No attempt finished (${MAX_ATTEMPTS} tried)`, lease_until: null })
    .where("status", "=", "pending")
    .where("attempts", ">=", MAX_ATTEMPTS)
    .where("lease_until", "<=", now)
    .execute();
  for (let i = 0; i < due.length; i += 500) {
    await db
      .insertInto("digest_sends")
      .values(due.slice(i, i + 500))
      .onConflict((oc) => oc.columns(["recipient_id", "period_from", "period_to"]).doNothing())
      .execute();
  }
}

interface Claimed extends PlannedDigest {
  attempts: number;
}

async function claim(db: Db, options: RunOptions): Promise<Claimed | null> {
  const now = clockOf(options);
  const { rows } = await sql<Claimed>`
    update digest_sends set lease_until = ${new Date(now.getTime() + LEASE_MS)}, lease_owner = ${options.owner}, attempts = attempts + 1
    where (recipient_id, period_from, period_to) in (
      select recipient_id, period_from, period_to from digest_sends
      where status = 'pending' and (lease_until is null or lease_until <= ${now}) and attempts < ${MAX_ATTEMPTS}
      order by created_at
      limit 1
      for update skip locked
    )
    returning recipient_id, to_char(period_from, 'YYYY-MM-DD') as period_from, to_char(period_to, 'YYYY-MM-DD') as period_to, frequency, attempts`.execute(db);
  return rows[0] ?? null;
}

/**
 * Just before the mail goes out: the lease is still ours, and now runs a full LEASE_MS from here,
 * so the send itself (bounded by the SMTP timeouts) always ends inside it. False when the lease
 * ran out while the digest was being computed and another instance may have taken the row.
 */
async function renew(db: Db, send: Claimed, options: RunOptions): Promise<boolean> {
  const now = clockOf(options);
  const renewed = await db
    .updateTable("digest_sends")
    .set({ lease_until: new Date(now.getTime() + LEASE_MS) })
    .where("recipient_id", "=", send.recipient_id)
    .where("period_from", "=", send.period_from)
    .where("period_to", "=", send.period_to)
    .where("lease_owner", "=", options.owner)
    .where("status", "=", "pending")
    .where("lease_until", ">", now)
    .executeTakeFirst();
  return Number(renewed.numUpdatedRows) === 1;
}

type Outcome = keyof RunResult;

async function deliver(stats: StatsServices, mailer: Mailer, send: Claimed, options: RunOptions): Promise<Outcome> {
  const { db } = stats;
  let message: MailMessage | null;
  try {
    message = await digestMessage(stats, send, options);
  } catch (error) {
    return failed(db, send, error, options);
  }
  if (!message) {
    // Unsubscribed, removed, paused, expired or outside the link's dates since it was planned.
    await settle(db, send, options.owner, { status: "skipped", lease_until: null });
    return "skipped";
  }
  if (!(await renew(db, send, options))) return "skipped";
  try {
    await mailer.send(message);
  } catch (error) {
    return failed(db, send, error, options);
  }
  await settle(db, send, options.owner, { status: "sent", sent_at: clockOf(options), lease_until: null, last_error: null });
  return "sent";
}

/** Only while the lease is still ours: after it, another instance owns the row. */
async function settle(db: Db, send: Claimed, owner: string, set: Updateable<DigestSendsTable>): Promise<void> {
  await db
    .updateTable("digest_sends")
    .set(set)
    .where("recipient_id", "=", send.recipient_id)
    .where("period_from", "=", send.period_from)
    .where("period_to", "=", send.period_to)
    .where("lease_owner", "=", owner)
    .execute();
}

async function failed(db: Db, send: Claimed, error: unknown, options: RunOptions): Promise<Outcome> {
  const { owner } = options;
  const now = clockOf(options);
  const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
  const final = send.attempts >= MAX_ATTEMPTS;
  // Backs off 2, 4, 8, 16 minutes: a mail server that is down for a while is not hammered.
  const retryAt = new Date(now.getTime() + 2 ** send.attempts * 60_000);
  await settle(db, send, owner, { status: final ? "failed" : "pending", lease_until: final ? null : retryAt, last_error: reason });
  return final ? "failed" : "retrying";
}
