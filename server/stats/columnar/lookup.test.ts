import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Columnar } from "./duckdb.js";

/**
 * Views ask the copy's small lookups (what it holds of a site, the ids of paths) again and again,
 * and the column store keeps their answers. A kept answer must never be older than what a read
 * would see: a path added, a day copied, a process started again show at once.
 */
let columnar: Columnar;
const SITE = "site-1";
const PATHS = "select list(pathname order by id) as paths from paths where site_id = $1";

const addPath = (pathname: string, id: number) => columnar.transaction((c) => c.run(`insert into paths values ($1, $2, $3)`, [SITE, pathname, id]));
const paths = async () => ((await columnar.lookup(PATHS, [SITE]))[0]?.paths as string[] | null) ?? [];

beforeEach(async () => {
  columnar = await Columnar.open({ path: "memory", memoryMb: 64, threads: 2 });
});

afterEach(async () => {
  await columnar.close();
});

describe("lookups of the copy", () => {
  it("are kept until the copy is written, then read again", async () => {
    await addPath("/", 0);
    expect(await paths()).toEqual(["/"]);
    await addPath("/pricing", 1);
    expect(await paths()).toEqual(["/", "/pricing"]);
  });

  it("asked while a write is under way are not kept past it", async () => {
    await addPath("/", 0);
    await columnar.transaction(async (c) => {
      await c.run(`insert into paths values ($1, '/blog', 1)`, [SITE]);
      // Another connection does not see the write before it commits.
      expect(await paths()).toEqual(["/"]);
    });
    expect(await paths()).toEqual(["/", "/blog"]);
  });

  it("are forgotten when the process starts again (an in-memory copy starts empty)", async () => {
    await addPath("/", 0);
    expect(await paths()).toEqual(["/"]);
    const generation = columnar.generation;
    process.kill(columnar.pid!, "SIGKILL");
    await expect.poll(() => columnar.generation, { timeout: 10_000 }).toBeGreaterThan(generation);
    expect(await paths()).toEqual([]);
  });
});
