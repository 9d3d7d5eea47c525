import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { Conflict, NotFound } from "../errors.js";
import type { RecipientState } from "../schemas/digests.js";
import { formatDay } from "../schemas/display.js";
import { tokenHash } from "./recipients.js";
import { emailHash, recipientState } from "./settings.js";

/** What the confirmation page shows: who asked, for which site, and the recipient's choice so far. Never the link's name. */
export interface Confirmation {
  email: string;
  domain: string;
  /** The account that added them; null if it has been deleted since. */
  addedBy: string | null;
  state: RecipientState;
  /** The link can no longer confirm (declining always works). */
  expired: boolean;
  expiresAt: string | null;
  /** They said "don't send me anything": no link of the site can add the address again. */
  declined: boolean;
}

const NOT_A_TOKEN = "This confirmation link is not valid. It may have been replaced by a newer one, or the recipient was removed from the digest.";

async function byToken(db: Db, token: string) {
  const row = await db
    .selectFrom("digest_recipients as r")
    .innerJoin("shared_links as l", "l.id", "r.link_id")
    .innerJoin("sites as s", "s.id", "l.site_id")
    .leftJoin("users as u", "u.id", "r.added_by")
    .select(["r.id", "r.email", "r.confirmed_at", "r.unsubscribed_at", "r.confirm_expires_at", "l.site_id", "s.domain", "u.email as added_by"])
    .where("r.confirm_token_hash", "=", tokenHash(token))
    .executeTakeFirst();
  if (!row) throw new NotFound(NOT_A_TOKEN);
  const blocked = await db
    .selectFrom("digest_site_suppressions")
    .select("site_id")
    .where("site_id", "=", row.site_id)
    .where("email_hash", "=", emailHash(row.email))
    .executeTakeFirst();
  return { ...row, declined: blocked !== undefined };
}

type Row = Awaited<ReturnType<typeof byToken>>;

/** A recipient who confirmed once can always come back; a waiting one only while the link works. */
const expired = (row: Row, now: Date) => !row.confirmed_at && (!row.confirm_expires_at || row.confirm_expires_at.getTime() <= now.getTime());

const view = (row: Row, now: Date): Confirmation => ({
  email: row.email,
  domain: row.domain,
  addedBy: row.added_by,
  state: recipientState(row),
  expired: expired(row, now),
  expiresAt: row.confirm_expires_at?.toISOString() ?? null,
  declined: row.declined,
});

/** Looking changes nothing: mail scanners open every link in a message. */
export async function confirmation(db: Db, token: string, now = new Date()): Promise<Confirmation> {
  return view(await byToken(db, token), now);
}

/**
 * The recipient says yes (a POST from the page, never a GET). Also undoes a "don't send me
 * anything" they chose from the same email.
 */
export async function confirm(db: Db, token: string, now = new Date()): Promise<Confirmation> {
  const row = await byToken(db, token);
  if (expired(row, now)) {
    const on = row.confirm_expires_at ? ` on ${formatDay(row.confirm_expires_at.toISOString().slice(0, 10))}` : "";
    throw new Conflict(`This confirmation link expired${on}. Nothing is sent to you; ${row.added_by ?? "the site’s admin"} can send you a new one.`);
  }
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("digest_recipients")
      .set({ confirmed_at: row.confirmed_at ?? now, unsubscribed_at: null })
      .where("id", "=", row.id)
      .execute();
    await trx.deleteFrom("digest_site_suppressions").where("site_id", "=", row.site_id).where("email_hash", "=", emailHash(row.email)).execute();
  });
  return view({ ...row, confirmed_at: row.confirmed_at ?? now, unsubscribed_at: null, declined: false }, now);
}

/**
 * "Don't send me anything from this site": the address is unsubscribed from every digest of the
 * site it is on, and no link of the site can add it again (kept as a hash). Works after the link
 * expired too: saying no is always possible.
 */
export async function decline(db: Db, token: string, now = new Date()): Promise<Confirmation> {
  const row = await byToken(db, token);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("digest_recipients")
      .set({ unsubscribed_at: now })
      .where("unsubscribed_at", "is", null)
      .where(sql<string>`lower(email)`, "=", row.email.toLowerCase())
      .where("link_id", "in", (eb) => eb.selectFrom("shared_links").select("id").where("site_id", "=", row.site_id))
      .execute();
    await trx
      .insertInto("digest_site_suppressions")
      .values({ site_id: row.site_id, email_hash: emailHash(row.email) })
      .onConflict((oc) => oc.columns(["site_id", "email_hash"]).doNothing())
      .execute();
  });
  return view({ ...row, unsubscribed_at: row.unsubscribed_at ?? now, declined: true }, now);
}
