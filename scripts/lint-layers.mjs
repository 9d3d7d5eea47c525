// Keeps the layering visible in the code: app → server → db, never back; routes reach the backend
// only through app/lib; the product never imports test code; and the backend's folders import
// one another without loops. Exits non-zero with one line per violation.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname, sep } from "node:path";

// The repository by default; another tree when given one (the lint's own test checks small trees).
const root = resolve(process.argv[2] ?? join(dirname(new URL(import.meta.url).pathname), ".."));
const IMPORT = /(?:import|export)\s[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm;

/** Production files: tests (`*.test.ts(x)`) may reach anything, so they are left out. */
function* files(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|tsx|mjs)$/.test(name) && !/\.test\.tsx?$/.test(name)) yield path;
  }
}

function target(file, spec) {
  if (spec.startsWith("~/")) return join(root, "app", spec.slice(2));
  if (spec.startsWith(".")) return resolve(dirname(file), spec);
  return null;
}

/** Every import of every production file under `dir`, as [file, specifier, resolved path or null]. */
function* imports(dir) {
  for (const file of files(join(root, dir))) {
    for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3];
      yield [file, spec, target(file, spec)];
    }
  }
}

const under = (t, dir) => t !== null && (t + sep).startsWith(join(root, dir) + sep);

const rules = [
  { from: "db/", forbid: (t, spec) => (t && !under(t, "db")) || spec.startsWith("@remix-run"), why: "db/ imports nothing of ours" },
  { from: "server/", forbid: (t, spec) => under(t, "app") || spec.startsWith("@remix-run"), why: "server/ is framework-free and never imports app/" },
  {
    from: "app/",
    forbid: (t, spec) => under(t, "db") || spec === "kysely" || spec === "postgres" || spec.startsWith("@electric-sql"),
    why: "the app reaches data only through the tRPC caller, never the database",
  },
  {
    from: "app/routes/",
    forbid: (t) => t !== null && !under(t, "app/lib") && !under(t, "app/components") && !under(t, "app/styles") && !under(t, "server/schemas"),
    why: "routes import app/lib, app/components and server/schemas only",
  },
  {
    from: "app/lib/",
    forbid: (t) => under(t, "app/components") || under(t, "app/routes"),
    why: "components and routes use app/lib, never the reverse (no loop between them)",
  },
  {
    from: "app/components/",
    forbid: (t) => under(t, "server") && !under(t, "server/schemas") && !t.endsWith("server/stats/types.js"),
    why: "components take props; from the server they may use schemas and types only",
  },
  // Harness, fixtures and helpers live in test/ so the product never loads them; only tests may.
  ...["app/", "server/", "db/"].map((from) => ({ from, forbid: (t) => under(t, "test"), why: "test/ is for tests; the product never imports it" })),
  {
    from: "server/schemas/",
    forbid: (t) => under(t, "server") && !under(t, "server/schemas") && relative(join(root, "server"), t).includes(sep),
    why: "schemas are pure inputs shared with forms: no domain folder (stats, goals, …) behind them",
  },
  {
    from: "server/shared-links/",
    forbid: (t) => under(t, "server/share"),
    why: "share reads links through shared-links; shared-links never reaches back into share",
  },
];

const problems = [];
for (const rule of rules) {
  for (const [file, spec, t] of imports(rule.from)) {
    if (rule.forbid(t, spec)) problems.push(`${relative(root, file)}: imports ${spec} (${rule.why})`);
  }
}

/**
 * Folder loops in server/: each folder (and each file at its top, such as env.ts) is a node; an
 * import from one to another is an edge. A loop means no folder in it can be read, tested or moved
 * without the others. Loops named here are known and tolerated, each with the reason; none today.
 */
const ALLOWED_LOOPS = new Set([]);

const edges = new Map();
const nodeOf = (path) => relative(join(root, "server"), path).split(sep)[0];
for (const [file, spec, t] of imports("server/")) {
  if (!under(t, "server")) continue;
  const from = nodeOf(file);
  const to = nodeOf(t).replace(/\.js$/, ".ts");
  if (from === to) continue;
  if (!edges.has(from)) edges.set(from, new Map());
  if (!edges.get(from).has(to)) edges.get(from).set(to, `${relative(root, file)} imports ${spec}`);
}

// Tarjan's strongly connected components: every group of two or more folders is a loop.
const index = new Map();
const low = new Map();
const stack = [];
const loops = [];
function visit(node) {
  index.set(node, index.size);
  low.set(node, index.get(node));
  stack.push(node);
  for (const next of edges.get(node)?.keys() ?? []) {
    if (!index.has(next)) {
      visit(next);
      low.set(node, Math.min(low.get(node), low.get(next)));
    } else if (stack.includes(next)) low.set(node, Math.min(low.get(node), index.get(next)));
  }
  if (low.get(node) === index.get(node)) {
    const group = [];
    let member;
    do {
      member = stack.pop();
      group.push(member);
    } while (member !== node);
    if (group.length > 1) loops.push(group.sort());
  }
}
for (const node of edges.keys()) if (!index.has(node)) visit(node);

for (const loop of loops) {
  if (ALLOWED_LOOPS.has(loop.join(" "))) continue;
  const inside = loop.flatMap((from) => [...(edges.get(from) ?? [])].filter(([to]) => loop.includes(to)).map(([to, example]) => `  ${from} → ${to}: ${example}`));
  problems.push(`server/ folders import one another in a loop: ${loop.join(", ")}\n${inside.join("\n")}`);
}

// POST /api/event goes straight into the ingestion pipeline: nothing the event door imports,
// directly or through other modules, may reach tRPC (its caller, router, procedures or context).
const EVENT_DOOR = ["server/http/event-endpoint.ts", "server/ingest/pipeline.ts", "server/services.ts", "server/http/guards.ts", "app/lib/http.server.ts"];
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
  // A tree without the door (the lint's own test trees) has nothing to follow.
  if (!sourceOf(join(root, start))) continue;
  const seen = new Set();
  const queue = [[join(root, start), [start]]];
  while (queue.length > 0) {
    const [file, chain] = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3];
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
