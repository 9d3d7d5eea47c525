#!/usr/bin/env node
// End-to-end suite: builds the app, then runs every spec against its own production server and
// fresh database, once with JavaScript off and once with it on (browser specs).
//
//   npm run test:e2e                          PGlite, a new data directory per server
//   DATABASE_URL=postgres://… npm run test:e2e  a new database per server on that Postgres
//   E2E_SKIP_BUILD=1   reuse build/         E2E_JS=off|on   one mode only
//   node e2e/run.mjs share admin             only the named specs
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { run } from "node:test";
import { spec as SpecReporter } from "node:test/reporters";
import { fileURLToPath } from "node:url";
import { freePort, startServer } from "./lib/server.mjs";
import { FLUSH_MS } from "./lib/ingest.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const artifacts = join(root, "e2e", ".artifacts");
const SPEC_TIMEOUT_MS = 5 * 60_000;

/** `modes`: browser specs run with JavaScript off and on; "http" specs need no browser. */
const SPECS = [
  { name: "csrf", file: "e2e/specs/csrf.spec.mjs", modes: ["http"] },
  { name: "api", file: "e2e/specs/api.spec.mjs", modes: ["http"] },
  { name: "headers", file: "e2e/specs/headers.spec.mjs", modes: ["http"] },
  { name: "share-cache", file: "e2e/specs/share-cache.spec.mjs", modes: ["http"] },
  { name: "abuse", file: "e2e/specs/abuse.spec.mjs", modes: ["http"] },
  { name: "ops", file: "e2e/specs/ops.spec.mjs", modes: ["http"] },
  { name: "fuzz-forms", file: "e2e/specs/fuzz-forms.spec.mjs", modes: ["http"] },
  { name: "countries", file: "e2e/specs/countries.spec.mjs", modes: ["http"] },
  { name: "ingest", file: "e2e/specs/ingest.spec.mjs", modes: ["http"] },
  { name: "flood", file: "e2e/specs/flood.spec.mjs", modes: ["http"] },
  { name: "clickhouse", file: "e2e/specs/clickhouse.spec.mjs", modes: ["http"] },
  { name: "admin", file: "e2e/specs/admin.spec.mjs", modes: ["off", "on"] },
  { name: "share", file: "e2e/specs/share.spec.mjs", modes: ["off", "on"] },
  { name: "goals", file: "e2e/specs/goals.spec.mjs", modes: ["off", "on"] },
  { name: "link-scope", file: "e2e/specs/link-scope.spec.mjs", modes: ["off", "on"] },
  { name: "embed", file: "e2e/specs/embed.spec.mjs", modes: ["off", "on"] },
  { name: "imports", file: "e2e/specs/imports.spec.mjs", modes: ["off", "on"] },
  // `smtp`: the server sends mail to a port the spec listens on with a real SMTP server. `env`: the unit's server gets it too.
  { name: "digest", file: "e2e/specs/digest.spec.mjs", modes: ["off", "on"], smtp: true, env: { MAX_SITES_PER_ACCOUNT: "2" } },
  { name: "accounts", file: "e2e/specs/accounts.spec.mjs", modes: ["off", "on"], smtp: true },
  { name: "invitations", file: "e2e/specs/invitations.spec.mjs", modes: ["off", "on"], smtp: true },
];

const only = process.argv.slice(2);
const onlyMode = process.env.E2E_JS;
const units = SPECS.filter((s) => only.length === 0 || only.includes(s.name)).flatMap((s) =>
  s.modes.filter((m) => m === "http" || !onlyMode || m === onlyMode).map((mode) => ({ ...s, mode })),
);
if (units.length === 0) {
  console.error(`No spec matches ${only.join(", ")}. Known: ${SPECS.map((s) => s.name).join(", ")}`);
  process.exit(2);
}

// Specs may import the TypeScript sources they test (the typed client); tsx lets node load them.
process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, "--import tsx"].filter(Boolean).join(" ");

const started = Date.now();
mkdirSync(join(artifacts, "screens"), { recursive: true });

if (process.env.E2E_SKIP_BUILD !== "1") {
  console.log("› remix build");
  const build = spawnSync("npx", ["remix", "build"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) {
    console.error("Build failed; no specs were run.");
    process.exit(1);
  }
}

// Never leave a server (or a Postgres database) behind: not when interrupted, not when the
// reader of our output goes away (`| head`).
let current = null;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, async () => {
    await current?.stop().catch(() => {});
    process.exit(130);
  });
}
process.stdout.on("error", () => {});

const databaseUrl = process.env.DATABASE_URL || undefined;
const totals = { tests: 0, passed: 0, failed: 0, skipped: 0 };
const failures = [];
const lines = [];

for (const unit of units) {
  const label = unit.mode === "http" ? unit.name : `${unit.name}-js-${unit.mode}`;
  const logPath = join(artifacts, `${label}.log`);
  for (const file of readdirSync(join(artifacts, "screens"))) if (file.startsWith(`${label}-`)) rmSync(join(artifacts, "screens", file));
  const unitStart = Date.now();
  let server;
  try {
    const smtpPort = unit.smtp ? await freePort() : null;
    process.env.E2E_SMTP_PORT = smtpPort ? String(smtpPort) : "";
    const mail = smtpPort ? { SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, MAIL_FROM: "Glimpse digests <digests@glimpse.test>" } : {};
    server = await startServer({ root, label, logPath, databaseUrl, extraEnv: { TRUST_PROXY: "1", UNLOCK_MAX_ATTEMPTS: "10", UNLOCK_WINDOW_MINUTES: "15", INGEST_FLUSH_MS: String(FLUSH_MS), ...mail, ...unit.env } });
    current = server;
  } catch (error) {
    totals.tests += 1;
    totals.failed += 1;
    failures.push(`${label}: server did not start`);
    console.error(`\n✖ ${label}: ${error.message}`);
    continue;
  }
  console.log(`\n━━ ${label}  (${server.describe}, ready in ${server.startMs} ms, log ${logPath})`);
  Object.assign(process.env, {
    E2E_BASE_URL: server.baseUrl,
    E2E_JS: unit.mode,
    E2E_LABEL: label,
    E2E_ARTIFACTS: artifacts,
    E2E_ROOT: root,
  });
  const counts = { tests: 0, passed: 0, failed: 0, skipped: 0 };
  try {
    const stream = run({ files: [join(root, unit.file)], concurrency: 1, timeout: SPEC_TIMEOUT_MS });
    const leaf = (data) => data.details?.type !== "suite";
    stream.on("test:pass", (data) => {
      if (!leaf(data)) return;
      counts.tests += 1;
      if (data.skip !== undefined || data.todo !== undefined) counts.skipped += 1;
      else counts.passed += 1;
    });
    stream.on("test:fail", (data) => {
      // A suite fails with its tests (counted one by one, hooks included); it counts by itself
      // only when its own body threw before any test was registered.
      if (!leaf(data) && data.details?.error?.failureType !== "testCodeFailure") return;
      counts.tests += 1;
      counts.failed += 1;
      failures.push(`${label} › ${data.name}`);
    });
    await new Promise((resolveDone, rejectDone) => {
      const out = stream.compose(new SpecReporter());
      out.on("data", (chunk) => process.stdout.write(chunk));
      out.on("end", resolveDone);
      out.on("error", rejectDone);
    });
  } catch (error) {
    counts.tests += 1;
    counts.failed += 1;
    failures.push(`${label}: runner error ${error.message}`);
  } finally {
    await server.stop().catch((error) => console.error(`Could not stop ${label}: ${error.message}`));
    current = null;
  }
  for (const key of Object.keys(totals)) totals[key] += counts[key];
  lines.push(`  ${label.padEnd(16)} ${String(counts.passed).padStart(3)} passed  ${String(counts.failed).padStart(3)} failed  ${String(counts.skipped).padStart(3)} skipped  ${((Date.now() - unitStart) / 1000).toFixed(1)} s`);
}

// The servers' logs of this run must hold no secret: no password the specs typed, no API key,
// session or unlock cookie, password hash or share slug.
const SECRETS = [
  /correct horse battery staple/, /password \d/i, /api password/i, /glk_[A-Za-z0-9_-]{8,}/, /\$argon2/, /glimpse_(session|unlock)=/,
  /\/share\/[A-Za-z0-9_-]{21}/, /\/unsubscribe\/[A-Za-z0-9_-]{32}/, /\/subscribe\/[A-Za-z0-9_-]{32}/, /Bearer /,
];
const leaks = [];
let logLines = 0;
for (const file of readdirSync(artifacts).filter((f) => f.endsWith(".log"))) {
  const lines = readFileSync(join(artifacts, file), "utf8").split("\n");
  logLines += lines.length;
  for (const line of lines) if (SECRETS.some((re) => re.test(line))) leaks.push(`${file}: ${line.slice(0, 160)}`);
}
console.log(`\nLog scan: ${logLines} lines of server logs, ${leaks.length} containing a secret`);
if (leaks.length > 0) {
  console.log(leaks.slice(0, 20).map((l) => `  ✖ ${l}`).join("\n"));
  totals.failed += 1;
  failures.push("server logs contain secrets");
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`\nE2E summary (${databaseUrl ? "Postgres" : "PGlite"})`);
console.log(lines.join("\n"));
console.log(`  tests ${totals.tests}, passed ${totals.passed}, failed ${totals.failed}, skipped ${totals.skipped}, duration ${seconds} s`);
if (failures.length > 0) console.log(`\nFailed:\n${failures.map((f) => `  ✖ ${f}`).join("\n")}`);
console.log(`Screenshots: ${join(artifacts, "screens")}`);
process.exit(totals.failed > 0 ? 1 : 0);
