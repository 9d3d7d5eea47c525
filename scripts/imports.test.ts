import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const scratch = mkdtempSync(join(tmpdir(), "glimpse-import-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The CLI as a person runs it; nothing listens at the address, so no answer can come from a server. */
function importCli(...args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts/imports.ts"), "import", "--site", "example.com", ...args], {
    encoding: "utf8",
    env: { ...process.env, GLIMPSE_URL: "http://127.0.0.1:9", GLIMPSE_API_KEY: "glk_test" },
  });
  return { code: run.status, stderr: run.stderr };
}

describe("npm run import", () => {
  it("says a file does not exist, instead of that Glimpse could not be reached", () => {
    const missing = join(scratch, "plausible-export.zip");
    expect(importCli(missing)).toEqual({ code: 1, stderr: `${missing}: the file does not exist\n` });
  });

  it("says a folder is not a file", () => {
    expect(importCli(scratch)).toEqual({ code: 1, stderr: `${scratch}: not a file\n` });
  });
});
