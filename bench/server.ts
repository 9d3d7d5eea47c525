// Child processes under test: the production build (scripts/serve.mjs) and the bare node:http
// ceiling. Each is watched for its peak resident memory.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { log } from "./progress.js";

/** Everything that ends up in build/index.js; tests are not part of the bundle. */
const SOURCES = ["app", "server", "db"];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "test" && entry.name !== "fuzz") newest = Math.max(newest, newestSource(path));
    } else if (/\.(ts|tsx|js|mjs|css)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/** Runs `remix build` when build/ is missing or older than its sources. Returns whether it built. */
export function ensureBuild(): boolean {
  const built = existsSync("build/index.js") ? statSync("build/index.js").mtimeMs : 0;
  const sources = Math.max(...SOURCES.map(newestSource));
  if (built >= sources) return false;
  log(built ? "build/ is older than the sources: npx remix build" : "No build/: npx remix build");
  const result = spawnSync("npx", ["remix", "build"], { stdio: ["ignore", process.stderr, process.stderr] });
  if (result.status !== 0) throw new Error(`remix build failed (exit ${result.status})`);
  return true;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const rssMb = (pid: number) => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : 0;
};

/** The processes the server started (the column store's), from their parent pid in /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command may hold spaces and parentheses: the fields after the last ")" are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) children.push(Number(entry));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return children;
}

/**
 * Samples VmRSS from /proc every 200 ms; `peak()` is the server's highest since the last
 * `reset()`. The server's own child processes (the column store) are sampled apart, summed.
 */
export class RssSampler {
  private windowPeak = 0;
  private overall = 0;
  private childrenOverall = 0;
  private children: number[] = [];
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 200);
  }

  private sample(): void {
    if (this.samples++ % 10 === 0) this.children = childrenOf(this.pid);
    let children = 0;
    for (const child of this.children) {
      try {
        children += rssMb(child);
      } catch {
        // Ended; a new one is found on a later listing.
      }
    }
    this.childrenOverall = Math.max(this.childrenOverall, children);
    try {
      const mb = rssMb(this.pid);
      this.windowPeak = Math.max(this.windowPeak, mb);
      this.overall = Math.max(this.overall, mb);
    } catch {
      // The process is gone: keep what was seen.
    }
  }

  reset(): void {
    this.sample();
    this.windowPeak = 0;
    this.sample();
  }

  peak(): number {
    this.sample();
    return Math.round(this.windowPeak);
  }

  overallPeak(): number {
    return Math.round(this.overall);
  }

  /** The highest sum of the server's child processes' RSS seen. */
  childrenPeak(): number {
    return Math.round(this.childrenOverall);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface Running {
  pid: number;
  url: string;
  rss: RssSampler;
  /** Whether the process is still running. */
  alive(): boolean;
  stop(): Promise<void>;
}

async function waitForReady(child: ChildProcess, url: string, path: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? -1));
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`server exited with code ${exited} before it was ready`);
    try {
      const response = await fetch(`${url}${path}`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not ready after ${timeoutMs / 1000} s`);
}

function launch(args: string[], env: Record<string, string>, url: string, readyPath: string): Promise<Running> {
  const output: string[] = [];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const pid = child.pid!;
  const rss = new RssSampler(pid);
  let stopping = false;
  // A server that dies mid-run says why, instead of only failing the next request.
  child.once("exit", (code, signal) => {
    if (!stopping) log(`  server exited unexpectedly (${signal ?? `exit ${code}`}):\n${output.join("").slice(-3000)}`);
  });
  const stop = async () => {
    stopping = true;
    rss.stop();
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  return waitForReady(child, url, readyPath).then(
    () => ({ pid, url, rss, alive: () => child.exitCode === null && child.signalCode === null, stop }),
    async (error: Error) => {
      await stop();
      throw new Error(`${error.message}\n${output.join("").slice(-2000)}`);
    },
  );
}

/** The production server (the same entry as `npm run serve`) on a free port. */
export async function startGlimpse(dbEnv: Record<string, string>, profileDir?: string): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...dbEnv,
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: url,
    SEED: "false",
    LOG_REQUESTS: "false",
    SESSION_SECRET: randomBytes(32).toString("hex"),
    // The flood must reach the password check, not just the rate limiter (see bench/load.ts).
    UNLOCK_MAX_ATTEMPTS: "1000",
    // The bench plays the proxy: attackers and victims each send their own X-Forwarded-For.
    TRUST_PROXY: "1",
  };
  // Node takes --cpu-prof on its command line only, not in NODE_OPTIONS.
  return launch([...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []), "scripts/serve.mjs"], env, url, "/healthz");
}

/** The HTTP ceiling: node:http answering a fixed ~10 KB HTML page, nothing else. */
export async function startBareHttp(): Promise<Running> {
  const port = await freePort();
  const script = `
    const body = "<!doctype html><html><head><title>bare</title></head><body>" + "<p>Lorem ipsum dolor sit amet, consectetur adipiscing.</p>\\n".repeat(175) + "</body></html>";
    require("node:http").createServer((req, res) => {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    }).listen(${port}, "127.0.0.1");
    process.on("SIGTERM", () => process.exit(0));`;
  return launch(["-e", script], {}, `http://127.0.0.1:${port}`, "/");
}

/**
 * The ingestion ceiling: node:http reading each request's body to its end and answering 202 with
 * a small JSON body, as the event endpoint does, and nothing else.
 */
export async function startBarePost(): Promise<Running> {
  const port = await freePort();
  const script = `
    const body = JSON.stringify({ accepted: true });
    require("node:http").createServer((req, res) => {
      req.on("data", () => {});
      req.on("end", () => {
        res.writeHead(202, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
        res.end(body);
      });
    }).listen(${port}, "127.0.0.1");
    process.on("SIGTERM", () => process.exit(0));`;
  return launch(["-e", script], {}, `http://127.0.0.1:${port}`, "/");
}

/** Logs in through the real form and returns the Cookie header for later requests. */
export async function login(url: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: url },
    body: new URLSearchParams({ email, password, redirectTo: "/" }).toString(),
  });
  await response.arrayBuffer();
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith("glimpse_session="));
  if (!cookie) throw new Error(`login failed: HTTP ${response.status}`);
  return cookie.split(";")[0]!;
}
