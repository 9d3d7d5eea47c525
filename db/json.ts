import { type RawBuilder, sql } from "kysely";

/**
 * A jsonb value for inserts and updates. The text cast matters: postgres.js would otherwise
 * JSON-encode an already encoded string a second time, and PGlite would not, so the drivers
 * would store different things.
 */
export function jsonb<T>(value: T): RawBuilder<T> {
  return sql<T>`cast(${JSON.stringify(value)} as text)::jsonb`;
}

/**
 * A json value as one parameter, for rows sent in bulk (`json_populate_recordset`,
 * `json_array_elements_text`): any number of rows, where Postgres caps a statement at 65,535
 * parameters. The same text cast as above.
 */
export function json<T>(value: T): RawBuilder<T> {
  return sql<T>`cast(${JSON.stringify(value)} as text)::json`;
}
