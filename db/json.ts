import { type RawBuilder, sql } from "kysely";

/**
 * A jsonb value for inserts and updates. The text cast matters: postgres.js would otherwise
 * JSON-encode an already encoded string a second time, and PGlite would not, so the drivers
 * would store different things.
 */
export function jsonb<T>(value: T): RawBuilder<T> {
  return sql<T>`cast(${JSON.stringify(value)} as text)::jsonb`;
}
