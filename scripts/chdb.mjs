// chdb (ClickHouse in-process) is about 540 MB, so it is not a dependency of the app: it is
// installed the first time something asks for it, into a cache folder of the repository, and
// `npm install` / `npm ci` stay as lean as without it.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const CHDB_VERSION = "3.4.0";
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const CHDB_CACHE = process.env.CHDB_CACHE ?? join(root, ".cache", "chdb");

function resolveFrom(folder) {
  try {
    return createRequire(join(folder, "noop.js"))("chdb");
  } catch {
    return null;
  }
}

/**
 * chdb's module: from the repository's own node_modules when someone installed it there, else from
 * the cache folder, installed there first if needed (its platform package carries the prebuilt
 * library; its one install script is empty, so npm's refusal to run scripts changes nothing).
 * `install: false` only looks.
 */
export function loadChdb({ install = true, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const own = resolveFrom(root);
  if (own) return own;
  const lock = `${CHDB_CACHE}.lock`;
  if (!install) return existsSync(lock) ? null : resolveFrom(CHDB_CACHE);
  // Processes (test files run in parallel) take turns: loading a library another one is still
  // writing would crash, so nobody looks while one installs.
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 10 * 60_000) rmSync(lock, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    const ready = resolveFrom(CHDB_CACHE);
    if (ready) return ready;
    // Installed beside it and moved in place once complete, so a cut install is never loaded.
    const staging = `${CHDB_CACHE}.partial`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    log(`Installing chdb ${CHDB_VERSION} into ${CHDB_CACHE} (about 540 MB, once)…`);
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    execFileSync(npm, ["install", "--no-save", "--no-audit", "--no-fund", "--no-package-lock", "--prefix", staging, `chdb@${CHDB_VERSION}`], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (!existsSync(join(staging, "node_modules", "chdb"))) throw new Error("chdb could not be installed");
    rmSync(CHDB_CACHE, { recursive: true, force: true });
    renameSync(staging, CHDB_CACHE);
    return resolveFrom(CHDB_CACHE);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
