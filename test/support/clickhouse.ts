import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

export interface LocalClickHouse {
  url: string;
  /** The child's data folder: the copy outlives a stop. */
  path: string;
  /** Ends the server at once (SIGKILL), as a crash or a network cut would look to a client. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
}

const running = new Set<ChildProcess>();
const folders: string[] = [];
afterAll(async () => {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function launch(port: number, path: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, "../../scripts/clickhouse-local.mjs"), "--port", String(port), "--path", path], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (match) {
        child.stdout?.off("data", onData);
        resolve({ child, port: Number(match[1]) });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`clickhouse:local ended (${code}) before listening: ${output.trim().slice(-500)}`)));
  });
}

/**
 * `npm run clickhouse:local` in a child process, on a fresh data folder (chdb is installed into
 * the cache folder the first time). Null, with the reason, when it cannot start here.
 */
export async function startLocalClickHouse(database = "glimpse_test"): Promise<LocalClickHouse | { unavailable: string }> {
  const path = mkdtempSync(join(tmpdir(), "glimpse-clickhouse-"));
  folders.push(path);
  let child: ChildProcess;
  let port: number;
  try {
    ({ child, port } = await launch(0, path));
  } catch (error) {
    return { unavailable: error instanceof Error ? error.message : String(error) };
  }
  const local: LocalClickHouse = {
    url: `http://glimpse:secret@127.0.0.1:${port}/${database}`,
    path,
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
    async start() {
      ({ child } = await launch(port, path));
    },
  };
  return local;
}
