import { sealStoredSecrets } from "../server/auth/secret-box.js";
import { ConfigError, env } from "../server/env.js";
import { describeDatabase, migrate, openDatabase } from "../server/runtime.js";

try {
  const config = env();
  const db = openDatabase(config);
  try {
    console.log(`Database: ${describeDatabase(config)}`);
    const applied = await migrate(db);
    console.log(applied === 0 ? "Already up to date." : `Applied ${applied} migration(s).`);
    const sealed = await sealStoredSecrets(db);
    if (sealed > 0) console.log(`Sealed the two-factor secrets of ${sealed} account(s).`);
  } finally {
    await db.destroy();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
