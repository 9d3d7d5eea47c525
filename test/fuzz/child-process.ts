import { spawn } from "node:child_process";

/**
 * Runs a TypeScript file with node (through tsx) under a heap cap and a deadline; collects its JSON
 * lines. The deadline is per line: a child that stays silent that long is hung. Starting (loading
 * the code and an embedded database) has `startupMs` of its own: on a busy machine it alone took
 * most of a deadline that once covered the whole run, and the call that happened to be running
 * was blamed.
 */
export function spawnChild(file: string, stdin: string, options: { deadlineMs: number; startupMs: number; maxHeapMb: number; env?: Record<string, string> }) {
  return new Promise<{ lines: object[]; died: string | null }>((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${options.maxHeapMb}`, "--import", "tsx", file], {
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let timedOut: string | null = null;
    let timer: NodeJS.Timeout | undefined;
    const deadline = (ms: number, what: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = what;
        child.kill("SIGKILL");
      }, ms);
    };
    deadline(options.startupMs, `did not start within ${options.startupMs / 1000} s (killed)`);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk;
      if (chunk.includes("\n")) deadline(options.deadlineMs, `did not answer within ${options.deadlineMs / 1000} s (killed)`);
    });
    child.stderr.on("data", (chunk) => (err = (err + chunk).slice(0, 20_000)));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      // A child killed mid-write leaves half a line; only whole lines count.
      const lines = out.split("\n").flatMap((l) => {
        try {
          return [JSON.parse(l) as object];
        } catch {
          return [];
        }
      });
      const reason = err.match(/FATAL ERROR[^\n]*|\w*Error: [^\n]*/)?.[0] ?? err.trim().split("\n").slice(-3).join(" | ");
      const died = timedOut
        ? timedOut
        : code === 0
          ? null
          : `died (exit ${code ?? signal}): ${reason}`;
      resolve({ lines, died });
    });
    child.stdin.end(stdin);
  });
}
