// Keeps the layering visible in the code: app → server → db, never back, and routes reach the
// backend only through app/lib. Exits non-zero with one line per violation.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const IMPORT = /(?:import|export)\s[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name)) yield path;
  }
}

function target(file, spec) {
  if (spec.startsWith("~/")) return join(root, "app", spec.slice(2));
  if (spec.startsWith(".")) return resolve(dirname(file), spec);
  return null;
}

const rules = [
  { from: "db/", forbid: (t, spec) => (t && !t.startsWith(join(root, "db"))) || spec.startsWith("@remix-run"), why: "db/ imports nothing of ours" },
  { from: "server/", forbid: (t, spec) => (t && t.startsWith(join(root, "app"))) || spec.startsWith("@remix-run"), why: "server/ is framework-free and never imports app/" },
  {
    from: "app/",
    forbid: (t, spec) => (t && t.startsWith(join(root, "db"))) || spec === "kysely" || spec === "postgres" || spec.startsWith("@electric-sql"),
    why: "the app reaches data only through the tRPC caller, never the database",
  },
  {
    from: "app/routes/",
    forbid: (t) =>
      t !== null &&
      !t.startsWith(join(root, "app/lib")) &&
      !t.startsWith(join(root, "app/components")) &&
      !t.startsWith(join(root, "app/styles")) &&
      !t.startsWith(join(root, "server/schemas")),
    why: "routes import app/lib, app/components and server/schemas only",
  },
  {
    from: "app/components/",
    forbid: (t) => t !== null && t.startsWith(join(root, "server")) && !t.startsWith(join(root, "server/schemas")) && !t.endsWith("server/stats/types.js"),
    why: "components take props; from the server they may use schemas and types only",
  },
];

const problems = [];
for (const rule of rules) {
  const dir = join(root, rule.from);
  for (const file of files(dir)) {
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2];
      if (rule.forbid(target(file, spec), spec)) problems.push(`${relative(root, file)}: imports ${spec} (${rule.why})`);
    }
  }
}

// POST /api/event goes straight into the ingestion pipeline: nothing the event door imports,
// directly or through other modules, may reach tRPC (its caller, router, procedures or context).
const EVENT_DOOR = ["server/http/event-endpoint.ts", "server/ingest/pipeline.ts", "server/ingest/ingest-context.ts", "server/http/guards.ts", "app/lib/http.server.ts"];
const TRPC = [join(root, "server/root.ts"), join(root, "server/trpc.ts"), join(root, "server/routers")];

/** The module a relative import names, as a file: `./x.js` is `./x.ts` (or `.tsx`, or `./x/index.ts`). */
function sourceOf(path) {
  const base = path.replace(/\.(js|ts|tsx)$/, "");
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, "index.ts"), path]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return null;
}

for (const start of EVENT_DOOR) {
  const seen = new Set();
  const queue = [[join(root, start), [start]]];
  while (queue.length > 0) {
    const [file, chain] = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const spec = match[1] ?? match[2];
      const resolved = target(file, spec);
      const via = [...chain, spec];
      if (spec.startsWith("@trpc/") || (resolved && TRPC.some((t) => resolved === t || resolved.replace(/\.(js|ts)$/, ".ts") === t || resolved.startsWith(`${t}/`)))) {
        problems.push(`${start}: reaches ${spec} through ${via.join(" → ")} (the event door calls the ingestion pipeline, never tRPC)`);
        continue;
      }
      const next = resolved && sourceOf(resolved);
      if (next && !seen.has(next)) queue.push([next, via]);
    }
  }
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("layers ok");
