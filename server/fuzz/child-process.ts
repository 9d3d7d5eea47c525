import { spawn } from "node:child_process";

/** Runs a TypeScript file with node (through tsx) under a heap cap and a deadline; collects its JSON lines. */
export function spawnChild(file: string, stdin: string, options: { deadlineMs: number; maxHeapMb: number; env?: Record<string, string> }) {
  return new Promise<{ lines: object[]; died: string | null }>((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${options.maxHeapMb}`, "--import", "tsx", file], {
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let timedOut = false;
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (err = (err + chunk).slice(0, 20_000)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.deadlineMs);
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
        ? `did not answer within ${options.deadlineMs / 1000} s (killed)`
        : code === 0
          ? null
          : `died (exit ${code ?? signal}): ${reason}`;
      resolve({ lines, died });
    });
    child.stdin.end(stdin);
  });
}
