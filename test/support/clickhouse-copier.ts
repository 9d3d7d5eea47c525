// A second instance in a process of its own, for the kill test: copies one site into ClickHouse
// and says "written" between writing a copy's rows and listing it, where it then waits to be killed.
// Arguments: DATABASE_URL CLICKHOUSE_URL SITE_ID TIMEZONE NOW
import { createDb } from "../../db/client.js";
import { openClickHouseEngine } from "../../server/stats/clickhouse/engine.js";

const [url, clickhouseUrl, siteId, timezone, now] = process.argv.slice(2);
const db = createDb({ url: url!, maxConnections: 2 });
const engine = await openClickHouseEngine(db, { url: clickhouseUrl!, leaseMs: 1_500 });
process.stdout.write("started\n");
await engine.sync({ id: siteId!, timezone: timezone! }, new Date(now!), async () => {
  process.stdout.write("written\n");
  await new Promise((resolve) => setTimeout(resolve, 60_000));
});
process.stdout.write("done\n");
process.exit(0);
