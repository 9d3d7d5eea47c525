import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const script = join(dirname(fileURLToPath(import.meta.url)), "lint-layers.mjs");
const trees: string[] = [];
afterEach(() => {
  for (const tree of trees.splice(0)) rmSync(tree, { recursive: true, force: true });
});

/** Runs the lint on a small tree of files (path → source); app/, server/ and db/ always exist. */
function lint(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), "glimpse-lint-"));
  trees.push(root);
  for (const dir of ["app", "server", "db"]) mkdirSync(join(root, dir));
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), source);
  }
  const run = spawnSync(process.execPath, [script, root], { encoding: "utf8" });
  return { ok: run.status === 0, output: run.stdout + run.stderr };
}

describe("the layering lint", () => {
  it("passes a tree that keeps the rules", () => {
    const result = lint({
      "server/errors.ts": "export class Invalid extends Error {}\n",
      "server/stats/engine.ts": 'import { Invalid } from "../errors.js";\nexport const x = Invalid;\n',
      "server/stats/engine.test.ts": 'import { helper } from "../../test/support/helper.js";\n',
      "test/support/helper.ts": 'import { x } from "../../server/stats/engine.js";\nexport const helper = x;\n',
    });
    expect(result).toEqual({ ok: true, output: "layers ok\n" });
  });

  it("refuses product code that imports test/, in app/, server/ and db/", () => {
    const result = lint({
      "app/lib/a.ts": 'import { f } from "../../test/fixtures/f.js";\n',
      "server/ingest/b.ts": 'import type { F } from "../../test/fixtures/f.js";\n',
      "db/c.ts": 'export * from "../test/support/db.js";\n',
    });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/app\/lib\/a\.ts: imports \.\.\/\.\.\/test\/fixtures\/f\.js \(test\/ is for tests/);
    expect(result.output).toMatch(/server\/ingest\/b\.ts: imports \.\.\/\.\.\/test\/fixtures\/f\.js \(test\/ is for tests/);
    expect(result.output).toMatch(/db\/c\.ts: imports \.\.\/test\/support\/db\.js \(test\/ is for tests/);
  });

  it("refuses schemas that import a domain folder, and shared-links importing share", () => {
    const result = lint({
      "server/schemas/link-scope.ts": 'import { isRealDay } from "../stats/dates.js";\n',
      "server/shared-links/embed.ts": 'import { findLink } from "../share/access.js";\n',
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("server/schemas/link-scope.ts: imports ../stats/dates.js (schemas are pure");
    expect(result.output).toContain("server/shared-links/embed.ts: imports ../share/access.js (share reads links through shared-links");
  });

  it("refuses app/lib importing components or routes, which import it", () => {
    const result = lint({
      "app/lib/summary.ts": 'import { format } from "~/components/dashboard/format";\nexport const s = format;\n',
      "app/lib/page.ts": 'import { loader } from "../routes/home";\nexport const p = loader;\n',
      "app/components/dashboard/format.ts": 'import { s } from "~/lib/summary";\nexport const format = s;\n',
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("app/lib/summary.ts: imports ~/components/dashboard/format (components and routes use app/lib, never the reverse");
    expect(result.output).toContain("app/lib/page.ts: imports ../routes/home (components and routes use app/lib, never the reverse");
    expect(result.output).not.toContain("app/components/dashboard/format.ts");
  });

  it("names every folder of an import loop in server/, with one import per edge", () => {
    const result = lint({
      "server/ingest/a.ts": 'import { b } from "../routers/b.js";\nexport const a = b;\n',
      "server/routers/b.ts": 'import { c } from "../root.js";\nexport const b = c;\n',
      "server/root.ts": 'import { a } from "./ingest/a.js";\nexport const c = a;\n',
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("server/ folders import one another in a loop: ingest, root.ts, routers");
    expect(result.output).toContain("ingest → routers: server/ingest/a.ts imports ../routers/b.js");
    expect(result.output).toContain("routers → root.ts: server/routers/b.ts imports ../root.js");
    expect(result.output).toContain("root.ts → ingest: server/root.ts imports ./ingest/a.js");
  });
});
