// Starts the production server (scripts/serve.mjs) on a free port with a database of its own:
// a fresh PGlite data directory, or a freshly created database on the DATABASE_URL server.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const HEALTH_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** A database for one server, and how to get rid of it afterwards. */
let template = null;

/** An embedded database, created and migrated once per run (the app's own migrate command), then copied. */
function migratedTemplate() {
  if (template) return template;
  const dir = mkdtempSync(join(tmpdir(), "glimpse-e2e-template-"));
  const env = { ...process.env, DATA_DIR: dir };
  delete env.DATABASE_URL;
  const migrated = spawnSync(process.execPath, ["--import", "tsx", "scripts/migrate.ts"], { cwd: ROOT, env, encoding: "utf8" });
  if (migrated.status !== 0) throw new Error(`Could not migrate the template database: ${migrated.stderr || migrated.stdout}`);
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  template = dir;
  return dir;
}

export async function freshDatabase(adminUrl, label) {
  if (!adminUrl) {
    const dataDir = mkdtempSync(join(tmpdir(), `glimpse-e2e-${label}-`));
    // A copy of one migrated, empty database: creating and migrating each took most of a start.
    cpSync(join(migratedTemplate(), "pglite"), join(dataDir, "pglite"), { recursive: true });
    return { env: { DATA_DIR: dataDir }, describe: `PGlite in ${dataDir}`, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `glimpse_e2e_${label.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // Each instance's columnar stats copy goes here, and with the database.
  const dataDir = mkdtempSync(join(tmpdir(), `glimpse-e2e-${label}-`));
  return {
    env: { DATABASE_URL: url.toString(), DATA_DIR: dataDir },
    describe: `Postgres database ${name}`,
    drop: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await sql.end();
      }
    },
  };
}

async function waitForHealth(baseUrl, child, logPath) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let exited = null;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  const tail = readFileSync(logPath, "utf8").split("\n").slice(-30).join("\n");
  throw new Error(`${exited ? `Server exited (${exited.code ?? exited.signal})` : "Server did not answer /healthz in time"}; log ${logPath}:\n${tail}`);
}

/**
 * @param {{ root: string, label: string, logPath: string, databaseUrl?: string, extraEnv?: Record<string,string> }} options
 */
export async function startServer({ root, label, logPath, databaseUrl, extraEnv = {} }) {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const db = await freshDatabase(databaseUrl, label);
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.DATA_DIR;
  Object.assign(env, {
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: baseUrl,
    NODE_ENV: "production",
    SESSION_SECRET: randomBytes(32).toString("hex"),
    SEED: "false",
    LOG_REQUESTS: "true",
    ...db.env,
    ...extraEnv,
  });
  const log = openSync(logPath, "w");
  const child = spawn(process.execPath, ["scripts/serve.mjs"], { cwd: root, env, stdio: ["ignore", log, log] });
  closeSync(log);
  const started = Date.now();
  try {
    await waitForHealth(baseUrl, child, logPath);
  } catch (error) {
    await stopProcess(child);
    await db.drop().catch(() => {});
    throw error;
  }
  return {
    baseUrl,
    describe: db.describe,
    startMs: Date.now() - started,
    async stop() {
      await stopProcess(child);
      await db.drop();
    },
  };
}

/** SIGTERM (the server closes PGlite and exits), SIGKILL if it hangs. */
function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * One more server process on a database that already exists (two instances on one Postgres, or a
 * restart on the same data after a kill). `kill()` sends SIGKILL: no cleanup, like a power cut.
 * @param {{ root: string, logPath: string, dbEnv: Record<string,string>, secret: string, extraEnv?: Record<string,string> }} options
 */
export async function launchInstance({ root, logPath, dbEnv, secret, extraEnv = {} }) {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.DATA_DIR;
  Object.assign(env, {
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: baseUrl,
    NODE_ENV: "production",
    SESSION_SECRET: secret,
    SEED: "false",
    LOG_REQUESTS: "true",
    ...dbEnv,
    ...extraEnv,
  });
  const log = openSync(logPath, "a");
  const child = spawn(process.execPath, ["scripts/serve.mjs"], { cwd: root, env, stdio: ["ignore", log, log] });
  closeSync(log);
  await waitForHealth(baseUrl, child, logPath);
  return {
    baseUrl,
    child,
    kill: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", resolve), child.kill("SIGKILL")))),
    stop: () => stopProcess(child),
  };
}
