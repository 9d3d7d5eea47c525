/**
 * Child process for `events-stats.test.ts`: calls the stats procedures with the periods read as
 * JSON on stdin and writes one JSON line per call. A synchronous hang or an out-of-memory crash
 * cannot be caught inside the test worker, so these calls run here, under a memory cap and a
 * deadline set by the parent. The parent knows which input was running from the last "start" line.
 *
 * Always on in-memory PGlite: what is under test is the date arithmetic in JS, not the database.
 */
import { readFileSync } from "node:fs";
import { createDb, openPglite } from "../../db/client.js";
import { migrateToLatest } from "../../db/migrate.js";
import { createSession } from "../../server/auth/sessions.js";
import { ensureUser } from "../../server/auth/users.js";
import { createCaller } from "../../server/root.js";
import { createLink } from "../../server/shared-links/links.js";
import { createSite } from "../../server/sites/sites.js";
import { testContext } from "../support/services.js";

const periods = JSON.parse(readFileSync(0, "utf8")) as unknown[];
const template = process.env.PGLITE_TEMPLATE;
const db = createDb({ pglite: openPglite(template ? new Blob([readFileSync(template)]) : "memory") });
if (!template) await migrateToLatest(db);

const user = await ensureUser(db, "owner@calendar.test", "correct horse battery staple");
// The timezone furthest ahead of UTC, so "today" is as late in the calendar as it gets.
const { site } = await createSite(db, user.id, { domain: "shop.example", timezone: "Pacific/Kiritimati" });
const link = await createLink(db, site.id, { userId: user.id, integration: false }, { name: "Open" });
const { token } = await createSession(db, user.id);
const owner = createCaller(testContext({ db, sessionToken: token, ip: "192.0.2.1" }));
const visitor = createCaller(testContext({ db, ip: "192.0.2.2" }));

const calls: [string, (period: any) => Promise<unknown>][] = [
  ["stats.dashboard", (period) => owner.stats.dashboard({ site: site.domain, period })],
  ["stats.breakdown", (period) => owner.stats.breakdown({ site: site.domain, period, dimension: "source" })],
  ["share.stats", (period) => visitor.share.stats({ slug: link.slug, period })],
  ["share.breakdown", (period) => visitor.share.breakdown({ slug: link.slug, period, dimension: "page" })],
];

const write = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
for (const [i, period] of periods.entries()) {
  for (const [path, call] of calls) {
    write({ start: i, path });
    try {
      await call(period);
      write({ i, path, error: null });
    } catch (e) {
      const error = e as { name?: string; code?: string; message?: string };
      write({ i, path, error: { name: error.name, code: error.code, message: error.message } });
    }
  }
}
await db.destroy();
