import { env } from "../server/env.js";
import { describeDatabase, migrate, openDatabase } from "../server/runtime.js";
import { seedDemo } from "../server/seed/demo.js";

const db = openDatabase();
try {
  console.log(`Database: ${describeDatabase(env())}`);
  await migrate(db);
  await seedDemo(db, { log: (line) => console.log(line) });
} finally {
  await db.destroy();
}
