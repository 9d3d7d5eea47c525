import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "./env.js";

const held = new Set<string>();

/** Whether a process with this id runs (signal 0 tests without sending anything). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The embedded database has no lock of its own, and two processes writing one data directory
 * corrupt it: the first process to open it (the server, a seed, a command line chore) writes its
 * id into `glimpse.pid` beside it, and another is refused with what to do while that process runs.
 * A file left by a process that died is taken over.
 */
export function holdDataDir(dataDir: string): void {
  if (held.has(dataDir)) return;
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "glimpse.pid");
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && running(pid)) {
        throw new ConfigError(
          `The embedded database in ${dataDir} is open in another process (${pid}), most likely the server: stop it first (two processes on one embedded database would corrupt it), or use DATABASE_URL. If no Glimpse process runs, delete ${file}.`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  held.add(dataDir);
  process.once("exit", () => rmSync(file, { force: true }));
}
