import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Db } from "../../db/client.js";
import { runImports } from "./job.js";

export interface ImportScheduler {
  /** Looks for waiting imports now (an upload just finished). */
  wake(): void;
  /** Waits for the import being run: a stop mid-import leaves it to the next start (its lease runs out). */
  stop(): Promise<void>;
}

/** How often each instance looks for imports that wait, or whose instance died. */
const CHECK_MS = 10_000;

/** Runs waiting imports in every instance: the database decides which one runs what (imports/job.ts). */
export function startImportScheduler(db: Db, log: (line: string) => void): ImportScheduler {
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = runImports(db, { owner, log })
      .then(() => undefined)
      .catch((error: unknown) => log(`Imports: check failed (${error instanceof Error ? error.message : String(error)}); trying again later`))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          tick();
        }
      });
  };
  const timer = setInterval(tick, CHECK_MS);
  timer.unref();
  // Soon after start: an import a stopped instance was running is taken up once its lease ends.
  setTimeout(tick, 2_000).unref();
  return {
    wake: tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
