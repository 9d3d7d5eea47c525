import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { holdDataDir } from "./embedded-lock.js";
import { ConfigError } from "./env.js";

const dirs: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), "glimpse-lock-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("the embedded database's data directory", () => {
  it("is refused while another process holds it, with what to do", async () => {
    const dir = fresh();
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
    try {
      writeFileSync(join(dir, "glimpse.pid"), String(other.pid));
      expect(() => holdDataDir(dir)).toThrow(ConfigError);
      expect(() => holdDataDir(dir)).toThrow(/open in another process .*stop it first/);
      expect(readFileSync(join(dir, "glimpse.pid"), "utf8")).toBe(String(other.pid));
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("is taken over from a process that died without letting go, and held again by the same process freely", async () => {
    const dir = fresh();
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((done) => dead.once("exit", done));
    writeFileSync(join(dir, "glimpse.pid"), String(dead.pid));
    holdDataDir(dir);
    expect(readFileSync(join(dir, "glimpse.pid"), "utf8")).toBe(String(process.pid));
    holdDataDir(dir);
    expect(existsSync(join(dir, "glimpse.pid"))).toBe(true);
  });
});
