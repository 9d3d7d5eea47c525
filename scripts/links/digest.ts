import type { GlimpseClient } from "../../server/client.js";

type Recipient = Awaited<ReturnType<GlimpseClient["sharedLinks"]["digest"]["query"]>>["recipients"][number];

/** A recipient's row in `links digest`: address, name, and their state in words. */
export function recipientRow(r: Recipient): string[] {
  const status =
    r.state === "unsubscribed"
      ? `unsubscribed ${r.unsubscribedAt}`
      : r.state === "waiting"
        ? `waiting for confirmation (${r.confirmationSentAt ? `asked ${r.confirmationSentAt}` : "not asked yet"})`
        : r.lastSentAt
          ? `confirmed, last sent ${r.lastSentAt}`
          : "confirmed";
  return [r.email, r.name, status];
}
