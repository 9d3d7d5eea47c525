import type { Db } from "../../db/client.js";
import { parseUserAgent } from "../ingest/user-agent.js";
import { sha256Hex } from "./tokens.js";

export interface SessionSummary {
  browser: string;
  os: string;
  device: string;
  createdAt: string;
  lastSeenAt: string;
  /** The session of the browser asking. */
  current: boolean;
}

/** One's live sessions, the asking browser's first, then by last seen. No handle to a session leaves the server. */
export async function listSessions(db: Db, userId: string, currentToken: string | null, now: Date): Promise<SessionSummary[]> {
  const current = currentToken ? sha256Hex(currentToken) : null;
  const rows = await db
    .selectFrom("sessions")
    .select(["id", "user_agent", "created_at", "last_seen_at"])
    .where("user_id", "=", userId)
    .where("expires_at", ">", now)
    .orderBy("last_seen_at", "desc")
    .limit(100)
    .execute();
  return rows
    .map((r) => {
      const client = r.user_agent ? parseUserAgent(r.user_agent) : { browser: "", os: "", device: "" };
      return {
        browser: client.browser,
        os: client.os,
        device: client.device,
        createdAt: r.created_at.toISOString(),
        lastSeenAt: r.last_seen_at.toISOString(),
        current: r.id === current,
      };
    })
    .sort((a, b) => Number(b.current) - Number(a.current));
}

/** Ends every session of the account but the asking one; how many ended. */
export async function endOtherSessions(db: Db, userId: string, currentToken: string): Promise<number> {
  const result = await db.deleteFrom("sessions").where("user_id", "=", userId).where("id", "!=", sha256Hex(currentToken)).executeTakeFirst();
  return Number(result.numDeletedRows);
}
