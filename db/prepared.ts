import type { Sql } from "postgres";

/**
 * Kysely's postgres.js dialect runs every query as an unnamed statement, for which postgres.js
 * first asks the server for the parameter types: two round trips, and a parse on every call.
 * Named (prepared) statements take one round trip and are parsed once per connection.
 *
 * Prepared statements live on each connection until postgres.js recycles it, so the number of
 * distinct SQL texts prepared is capped: filters that visitors make up produce new texts, and past
 * the cap those simply run unnamed, as before.
 */
const MAX_PREPARED_TEXTS = 500;

type Unsafe = Sql["unsafe"];

export function preparing(sql: Sql, maxTexts = MAX_PREPARED_TEXTS): Sql {
  const texts = new Set<string>();
  const worthPreparing = (text: string) => texts.has(text) || (texts.size < maxTexts && Boolean(texts.add(text)));
  const wrapUnsafe = (unsafe: Unsafe): Unsafe =>
    ((text: string, parameters?: unknown[], options?: Record<string, unknown>) =>
      unsafe(text, parameters as never, { prepare: worthPreparing(text), ...options })) as Unsafe;
  return new Proxy(sql, {
    get(target, property) {
      if (property !== "reserve") return Reflect.get(target, property);
      return async () => {
        const reserved = await target.reserve();
        return new Proxy(reserved, {
          get(connection, name) {
            const value = Reflect.get(connection, name);
            if (name === "unsafe") return wrapUnsafe(value.bind(connection));
            return typeof value === "function" ? value.bind(connection) : value;
          },
        });
      };
    },
  });
}
