import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import { PostgresJSDialect } from "kysely-postgres-js";
import postgres from "postgres";
import { droppingDeadConnections } from "./dead-connections.js";
import { preparing } from "./prepared.js";
import type { Database } from "./schema.js";

export type Db = Kysely<Database>;

export type DbOptions =
  /** Real PostgreSQL through postgres.js. */
  | { url: string; maxConnections?: number; statementTimeoutMs?: number }
  /** Embedded PostgreSQL (PGlite) with its data under dataDir, or in memory. */
  | { dataDir: string | "memory" }
  /** An already open PGlite, e.g. a clone of a migrated template in tests. */
  | { pglite: PGlite };

const INT8 = 20;
const DATE = 1082;
const BYTEA = 17;

/**
 * Both drivers return bigint counts as numbers (our counts stay far below 2^53) and dates as
 * `YYYY-MM-DD` strings, so the same domain code works on either database.
 */
export function createDb(options: DbOptions): Db {
  if ("url" in options) {
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      // No statement of a request may hold a connection (and a core) for longer than this.
      ...(options.statementTimeoutMs && { connection: { statement_timeout: options.statementTimeoutMs } }),
      types: {
        bigint: { to: INT8, from: [INT8], serialize: (v: number) => String(v), parse: (v: string) => Number(v) },
        date: { to: DATE, from: [DATE], serialize: (v: string) => v, parse: (v: string) => v },
      },
    });
    return new Kysely<Database>({ dialect: new PostgresJSDialect({ postgres: preparing(droppingDeadConnections(client)) }) });
  }
  const pglite = "pglite" in options ? options.pglite : openPglite(options.dataDir);
  return new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
}

/** Opens PGlite on a data directory, in memory, or from a dump of a data directory (test templates). */
export function openPglite(source: string | "memory" | Blob): PGlite {
  const parsers = { [INT8]: (v: string) => Number(v), [DATE]: (v: string) => v, [BYTEA]: parseBytea };
  const serializers = { [BYTEA]: serializeBytea };
  if (source instanceof Blob) return new PGlite({ parsers, serializers, loadDataDir: source });
  if (source === "memory") return new PGlite({ parsers, serializers });
  const path = resolve(source);
  mkdirSync(path, { recursive: true });
  return new PGlite(path, { parsers, serializers });
}

/**
 * Bytea as hex text, written and read by Buffer in one pass. PGlite's own converters go through a
 * JavaScript array and a string per byte: a 1 MB upload chunk cost some 100 MB of heap at once.
 */
function serializeBytea(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new Error("Invalid input for bytea type");
  return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`;
}

function parseBytea(value: string): Uint8Array {
  return Buffer.from(value.slice(2), "hex");
}
