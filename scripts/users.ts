// npm run users -- <command>: account chores for the operator, straight on the database.
import { parseArgs } from "node:util";
import { operatorResetLink } from "../server/auth/password-reset.js";
import { ConfigError, env } from "../server/env.js";
import { openDatabase } from "../server/runtime.js";

const HELP = `Usage: npm run users -- <command> [options]

Commands:
  reset-password --email ADDRESS   Print a one-time link (valid one hour) that sets a new password for the account

Uses the server's configuration (DATABASE_URL or DATA_DIR, PUBLIC_URL). With the embedded database,
stop the server first: only one process can open it.`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { email: { type: "string" }, help: { type: "boolean" } } });
  const [command] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return command || values.help ? 0 : 2;
  }
  if (command !== "reset-password") {
    console.error(`Unknown command “${command}”.\n\n${HELP}`);
    return 2;
  }
  if (!values.email) {
    console.error("reset-password needs --email ADDRESS.");
    return 2;
  }
  const db = openDatabase(env());
  try {
    const link = await operatorResetLink(db, values.email, new Date());
    if (!link) {
      console.error(`No account has the address ${values.email}.`);
      return 1;
    }
    console.log(`Send this link to the account's owner. It works once, for one hour, and ends the account's sessions when used:\n${link}`);
    return 0;
  } finally {
    await db.destroy();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
