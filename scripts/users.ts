// npm run users -- <command>: account chores for the operator, straight on the database.
import { parseArgs } from "node:util";
import { operatorResetLink } from "../server/auth/password-reset.js";
import { operatorTurnOffTwoFactor } from "../server/auth/totp.js";
import { ConfigError, env } from "../server/env.js";
import { openDatabase } from "../server/runtime.js";

const HELP = `Usage: npm run users -- <command> [options]

Commands:
  reset-password --email ADDRESS        Print a one-time link (valid one hour) that sets a new password for the account
  turn-off-two-factor --email ADDRESS   Turn two-factor sign-in off for someone who lost their phone and recovery
                                        codes (check who they are first): their password alone logs in again, and
                                        every session of the account ends

Uses the server's configuration (DATABASE_URL or DATA_DIR, PUBLIC_URL). With the embedded database,
stop the server first: only one process can open it.`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { email: { type: "string" }, help: { type: "boolean" } } });
  const [command] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return command || values.help ? 0 : 2;
  }
  if (command !== "reset-password" && command !== "turn-off-two-factor") {
    console.error(`Unknown command “${command}”.\n\n${HELP}`);
    return 2;
  }
  if (!values.email) {
    console.error(`${command} needs --email ADDRESS.`);
    return 2;
  }
  const db = openDatabase(env());
  try {
    if (command === "turn-off-two-factor") {
      const result = await operatorTurnOffTwoFactor(db, values.email);
      if (!result) {
        console.error(`No account has the address ${values.email}.`);
        return 1;
      }
      console.log(result.wasOn ? `Two-factor sign-in is off for ${values.email}; every session of the account ended.` : `Two-factor sign-in was already off for ${values.email}; every session of the account ended.`);
      return 0;
    }
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
