import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isMainThread } from "node:worker_threads";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import fc from "fast-check";
import type { Db } from "../../db/client.js";
import type { createCaller } from "../../server/root.js";
import { spawnChild } from "./child-process.js";
import { changed, type Snapshot, snapshot, writeMark } from "./snapshot.js";

export type Caller = ReturnType<typeof createCaller>;

export interface Actor {
  name: string;
  caller: Caller;
}

export interface Target {
  /** Dotted procedure path, e.g. "sharedLinks.update". */
  path: string;
  mutation: boolean;
  runs: number;
  input: fc.Arbitrary<unknown>;
  actors: Actor[];
  /** Snapshot entries a rejected call may change on purpose (see snapshot.ts). */
  mayChange?: string[];
  /**
   * Writes what an accepted call left pending (buffered events), so it lands before the next call's
   * "before" snapshot and never inside a rejected call's window, where it would look like its write.
   */
  settle?: () => Promise<void>;
}

interface Failure {
  kind: "internal error" | "partial write" | "not a TRPCError" | "unclear message" | "not a 4xx";
  detail: string;
}

class CallFailed extends Error {
  constructor(readonly failure: Failure) {
    super(`${failure.kind}: ${failure.detail}`);
  }
}

const show = (value: unknown, max = 300) => {
  const text = fc.stringify(value);
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
};

/** Same seed for the same procedure on every run and every machine. */
const seedOf = (path: string) => [...path].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 7);

function procedureAt(caller: Caller, path: string): (input: unknown) => Promise<unknown> {
  return path.split(".").reduce<any>((node, key) => node[key], caller);
}

/**
 * Calls procedures through a caller and checks the contract of SPEC §8: success, or a TRPCError
 * with a 4xx code and a sentence for a message; and for a rejected mutation, no change to the
 * database. Counts everything for the summary line.
 */
export class Fuzzer {
  readonly inputs = new Map<string, number>();
  internal = 0;
  partial = 0;
  private last: { snapshot: Snapshot; mark: string } | null = null;
  /** Full snapshots taken; the write mark makes most of them unnecessary. */
  snapshots = 0;
  private counting = true;

  constructor(
    private readonly db: Db,
    readonly group: string,
  ) {}

  private async call(target: Target, actor: Actor, input: unknown): Promise<void> {
    if (this.counting) this.inputs.set(target.path, (this.inputs.get(target.path) ?? 0) + 1);
    if (!target.mutation) this.last = null;
    else this.last ??= await this.snapshot();
    let error: unknown = null;
    try {
      await procedureAt(actor.caller, target.path)(input);
    } catch (e) {
      error = e ?? new Error("thrown nullish");
    }
    if (!error) await target.settle?.();
    if (target.mutation) {
      const before = this.last!;
      const mark = await writeMark(this.db);
      if (mark !== before.mark) this.last = await this.snapshot(mark);
      const diff = error ? changed(before.snapshot, this.last!.snapshot, target.mayChange) : [];
      if (diff.length) this.fail({ kind: "partial write", detail: `${explain(error)} yet changed ${diff.join(", ")}` });
    }
    if (error) this.check(error);
  }

  /** The mark is read first: a write that lands in between makes the next check look, never skip. */
  private async snapshot(mark?: string) {
    mark ??= await writeMark(this.db);
    this.snapshots += 1;
    return { snapshot: await snapshot(this.db), mark };
  }

  private check(error: unknown): void {
    if (!(error instanceof TRPCError)) this.fail({ kind: "not a TRPCError", detail: String(error) });
    this.checkAnswer(error as TRPCError, explain(error));
  }

  private checkAnswer(e: { code: TRPCError["code"]; message: string }, detail: string): void {
    if (e.code === "INTERNAL_SERVER_ERROR") this.fail({ kind: "internal error", detail });
    const status = getHTTPStatusCodeFromError(e as TRPCError);
    if (status < 400 || status > 499) this.fail({ kind: "not a 4xx", detail: `${status} ${detail}` });
    const message = e.message.trim();
    if (!message || message.startsWith("[") || message.startsWith("{")) this.fail({ kind: "unclear message", detail });
  }

  /**
   * The same contract for calls made in a child process (see calendar-child.ts), which reports
   * each answer as a JSON line; a child that dies or overruns its deadline fails on the input it
   * was running.
   */
  async runOutOfProcess(child: string, inputs: unknown[], options: { deadlineMs: number; startupMs: number; maxHeapMb: number; env?: Record<string, string> }): Promise<void> {
    const { lines, died } = await spawnChild(child, JSON.stringify(inputs), options);
    const problems: string[] = [];
    for (const line of lines) {
      if ("start" in line) continue;
      const { i, path, error } = line as { i: number; path: string; error: { name?: string; code?: TRPCError["code"]; message?: string } | null };
      this.inputs.set(path, (this.inputs.get(path) ?? 0) + 1);
      try {
        if (error && error.name !== "TRPCError") this.fail({ kind: "not a TRPCError", detail: `${error.name}: ${error.message}` });
        if (error) this.checkAnswer({ code: error.code!, message: error.message ?? "" }, `${error.code} "${error.message}"`);
      } catch (e) {
        if (!(e instanceof CallFailed)) throw e;
        problems.push(`- ${path} ${show(inputs[i])}: ${e.message}`);
      }
    }
    if (died) {
      const last = lines.filter((l) => "start" in l).at(-1) as { start: number; path: string } | undefined;
      if (last) this.inputs.set(last.path, (this.inputs.get(last.path) ?? 0) + 1);
      this.internal += 1;
      problems.push(`- ${last ? `${last.path} ${show(inputs[last.start])}` : "before the first call"}: the process ${died}`);
    }
    if (problems.length) throw new Error(`${problems.length} failure(s) out of process:\n${problems.slice(0, 20).join("\n")}`);
  }

  private fail(failure: Failure): never {
    if (this.counting && failure.kind === "internal error") this.internal += 1;
    if (this.counting && failure.kind === "partial write") this.partial += 1;
    throw new CallFailed(failure);
  }

  /**
   * All runs are made (a failure is recorded, not fatal), so the counts are complete; then, if
   * something failed, the same seed is run again to let fast-check shrink the first failure to a
   * small counterexample, and the test fails with it.
   */
  async run(target: Target): Promise<void> {
    const args = fc.tuple(fc.nat({ max: target.actors.length - 1 }), target.input);
    const failures = new Map<string, { count: number; actor: string; input: unknown }>();
    const options = { seed: seedOf(target.path), numRuns: target.runs };
    await fc.assert(
      fc.asyncProperty(args, async ([who, input]) => {
        const actor = target.actors[who]!;
        try {
          await this.call(target, actor, input);
        } catch (e) {
          if (!(e instanceof CallFailed)) throw e;
          const key = `${e.failure.kind}: ${e.failure.detail.slice(0, 120)}`;
          const seen = failures.get(key) ?? { count: 0, actor: actor.name, input };
          seen.count += 1;
          failures.set(key, seen);
        }
      }),
      options,
    );
    if (failures.size === 0) return;

    this.counting = false;
    // Shrinking stops after 60 attempts: each is a real call, and some inputs are 100k characters long.
    let shrinking = false;
    let budget = 60;
    const replay = await fc.check(
      fc.asyncProperty(args, async ([who, input]) => {
        if (shrinking && budget-- <= 0) return true;
        try {
          await this.call(target, target.actors[who]!, input);
        } catch (e) {
          shrinking = true;
          throw e;
        }
        return true;
      }),
      options,
    );
    this.counting = true;
    const lines = [...failures].map(([key, f]) => `- ${f.count}× ${key}\n  first input (as ${f.actor}): ${show(f.input)}`);
    const shrunk = replay.counterexample
      ? `\nshrunk counterexample (as ${target.actors[replay.counterexample[0][0]]!.name}, seed ${options.seed}): ${show(replay.counterexample[0][1])}\n  ${String((replay.errorInstance as Error | undefined)?.message ?? "").slice(0, 400)}`
      : "";
    throw new Error(`${target.path}: ${failures.size} kind(s) of failure in ${target.runs} runs\n${lines.join("\n")}${shrunk}`);
  }

  /** One line per file, then the running total over every fuzz file of this vitest run. */
  report(): void {
    const total = [...this.inputs.values()].reduce((a, b) => a + b, 0);
    const per = [...this.inputs].map(([path, n]) => `${path} ${n}`).join(", ");
    console.log(`fuzz[${this.group}]: ${total} inputs, ${this.internal} internal errors, ${this.partial} partial writes, ${this.snapshots} snapshots (${per})`);
    const here = fileURLToPath(new URL(".", import.meta.url));
    const files = readdirSync(here).filter((f) => f.endsWith(".test.ts")).length;
    // Forked workers share the vitest process as parent; worker threads share its pid.
    const dir = join(tmpdir(), `glimpse-fuzz-${isMainThread ? process.ppid : process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${this.group}.json`), JSON.stringify({ total, internal: this.internal, partial: this.partial }));
    const done = readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as { total: number; internal: number; partial: number });
    const sum = (k: "total" | "internal" | "partial") => done.reduce((a, d) => a + d[k], 0);
    console.log(`fuzz: ${sum("total")} inputs, ${sum("internal")} internal errors, ${sum("partial")} partial writes (${done.length} of ${files} files)`);
    if (done.length >= files) rmSync(dir, { recursive: true, force: true });
  }
}

function explain(error: unknown): string {
  if (!error) return "succeeded";
  if (!(error instanceof TRPCError)) return String(error);
  const cause = error.cause && error.cause !== error ? ` (cause: ${String((error.cause as Error).message ?? error.cause).slice(0, 200)})` : "";
  return `${error.code} "${error.message.slice(0, 200)}"${cause}`;
}
