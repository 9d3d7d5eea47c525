import type { Sql } from "postgres";

/**
 * postgres.js (3.4.9) puts a reserved connection whose server side died back into its pool when
 * it is released, and the next query on it throws from a timer, outside any await, and takes the
 * process down (upstream issues #1199 and #1208). Kysely reserves a connection for every query
 * and transaction, so a database restart or a terminated backend under load would crash the app.
 *
 * When a connection dies, postgres.js has already moved it to the pool's closed connections,
 * which it reconnects on demand; using or releasing it again is the mistake. So once a query on a
 * reserved connection fails because the connection went away, further queries on it (Kysely's
 * ROLLBACK) fail at once, and it is not released. A connection that dies while idle between two
 * statements of a transaction is not caught by this (upstream's fix is pending).
 */
const CONNECTION_LOST = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  // The server ends the session right after these: admin shutdown, crash shutdown, cannot connect now.
  "57P01",
  "57P02",
  "57P03",
  "ECONNRESET",
  "EPIPE",
]);

export function isConnectionLost(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && CONNECTION_LOST.has(String(error.code));
}

type Unsafe = Sql["unsafe"];
const END_TIMEOUT_SECONDS = 3;

export function droppingDeadConnections(sql: Sql): Sql {
  return new Proxy(sql, {
    get(target, property) {
      // A connection that died mid-query can keep postgres.js's end() waiting for it forever;
      // after a few seconds the pool is torn down instead.
      if (property === "end") return (options?: { timeout?: number }) => target.end({ timeout: END_TIMEOUT_SECONDS, ...options });
      if (property !== "reserve") return Reflect.get(target, property);
      return async () => {
        const reserved = await target.reserve();
        let lost = false;
        const unsafe: Unsafe = ((text: string, parameters?: unknown[], options?: Record<string, unknown>) => {
          // Writing to it would crash. A ROLLBACK has nothing left to do (the server ended the
          // transaction with the session), so it succeeds and the caller sees the original error.
          if (lost && /^\s*rollback\b/i.test(text)) return Promise.resolve(Object.assign([], { command: "ROLLBACK", count: 0 }));
          if (lost) return Promise.reject(Object.assign(new Error("The database connection was lost"), { code: "CONNECTION_CLOSED" }));
          const query = reserved.unsafe(text, parameters as never, options);
          // The query is a lazy thenable: observe its outcome without starting it a second time.
          const then = query.then.bind(query);
          query.then = ((resolve, reject) =>
            then(resolve, (error: unknown) => {
              if (isConnectionLost(error)) lost = true;
              if (reject) return reject(error);
              throw error;
            })) as typeof query.then;
          return query;
        }) as Unsafe;
        return new Proxy(reserved, {
          get(connection, name) {
            if (name === "unsafe") return unsafe;
            if (name === "release") return () => (lost ? undefined : connection.release());
            const value = Reflect.get(connection, name);
            return typeof value === "function" ? value.bind(connection) : value;
          },
        });
      };
    },
  });
}
