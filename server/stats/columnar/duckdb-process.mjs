// The column store's own process. DuckDB's memory (its buffer pool, a big query's hash tables) is
// then not the web server's, and a query that fails hard ends this process, never the server:
// the parent answers from the database tables meanwhile and starts another.
//
// The parent sends { id, op, ...arguments } and gets { id, result } or { id, error } back.
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { DuckDBDateValue, DuckDBInstance, DuckDBTimestampTZValue } from "@duckdb/node-api";

let instance = null;
const transactions = new Map();
let nextTransaction = 1;

async function connected(work) {
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
  }
}

const read = (connection, sql, values) => connection.runAndReadAll(sql, values).then((reader) => reader.getRowObjectsJS());

/**
 * Reads outside transactions go to readers: a connection each, kept with the statements it has
 * prepared. Views ask the same few statements again and again with other values (every filter
 * value is a parameter), and parsing and planning them anew took about a sixth of their time
 * (30 days at 1M events, page filter: 179 ms for the view's statements, 150 prepared). DuckDB
 * plans a kept statement again by itself when the tables it reads have changed shape.
 */
const PREPARED_PER_READER = 64;
const idleReaders = [];

async function withReader(work) {
  const reader = idleReaders.pop() ?? { connection: await instance.connect(), prepared: new Map() };
  let result;
  try {
    result = await work(reader);
  } catch (error) {
    // A failed statement may leave its connection in any state: the next read gets a new one.
    closeReader(reader);
    throw error;
  }
  idleReaders.push(reader);
  return result;
}

function closeReader({ connection, prepared }) {
  for (const statement of prepared.values()) statement.destroySync();
  prepared.clear();
  connection.closeSync();
}

async function preparedRead(reader, sql, values) {
  let statement = reader.prepared.get(sql);
  // Map order is use order: the statement goes to the end, the least recently used is first.
  if (statement) reader.prepared.delete(sql);
  else statement = await reader.connection.prepare(sql);
  reader.prepared.set(sql, statement);
  if (reader.prepared.size > PREPARED_PER_READER) {
    const [oldest, unused] = reader.prepared.entries().next().value;
    reader.prepared.delete(oldest);
    unused.destroySync();
  }
  statement.bind(values);
  return (await statement.runAndReadAll()).getRowObjectsJS();
}

/** True for a new, empty file or one written with this layout. */
async function current(layout) {
  try {
    return await connected(async (c) => {
      const [tables] = await read(c, `select count(*)::int as n from information_schema.tables where table_name = 'layout'`, []);
      if (!tables.n) return true;
      const rows = await read(c, `select version from layout`, []);
      return rows.length === 0 || rows[0].version === layout;
    });
  } catch {
    return false;
  }
}

async function open({ path, settings, layout, schema }) {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  instance = await DuckDBInstance.create(path, settings).catch(() => null);
  if (!instance || !(await current(layout))) {
    // Unreadable, or written by another layout: it is only a cache, so start it again.
    instance?.closeSync();
    if (path !== ":memory:") for (const file of [path, `${path}.wal`]) rmSync(file, { force: true });
    instance = await DuckDBInstance.create(path, settings);
  }
  await connected(async (c) => {
    for (const statement of schema) await c.run(statement);
    await c.run(`delete from layout`);
    await c.run(`insert into layout values (${layout})`);
  });
}

const dateValue = (day) => new DuckDBDateValue(Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000));
const instantValue = (at) => new DuckDBTimestampTZValue(BigInt(at.getTime()) * 1000n);

const appenders = {
  varchar: (a, v) => a.appendVarchar(v),
  integer: (a, v) => a.appendInteger(v),
  bigint: (a, v) => a.appendBigInt(BigInt(v)),
  double: (a, v) => a.appendDouble(v),
  date: (a, v) => a.appendDate(dateValue(v)),
  timestamptz: (a, v) => a.appendTimestampTZ(instantValue(v)),
};

async function append(connection, table, types, rows) {
  if (!rows.length) return;
  const writers = types.map((type) => appenders[type]);
  const appender = await connection.createAppender(table);
  try {
    for (const row of rows) {
      for (let i = 0; i < writers.length; i++) {
        if (row[i] === null || row[i] === undefined) appender.appendNull();
        else writers[i](appender, row[i]);
      }
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

function transaction(id) {
  const connection = transactions.get(id);
  if (!connection) throw new Error(`No open transaction ${id}`);
  return connection;
}

const operations = {
  open,
  query: ({ sql, values }) => withReader((reader) => preparedRead(reader, sql, values)),
  run: ({ sql, values }) => connected(async (c) => void (await c.run(sql, values))),
  async begin() {
    const connection = await instance.connect();
    await connection.run("begin transaction");
    const id = nextTransaction++;
    transactions.set(id, connection);
    return id;
  },
  async transactionRun({ transaction: id, sql, values }) {
    await transaction(id).run(sql, values);
  },
  transactionQuery: ({ transaction: id, sql, values }) => read(transaction(id), sql, values),
  append: ({ transaction: id, table, types, rows }) => append(transaction(id), table, types, rows),
  async end({ transaction: id, commit }) {
    const connection = transaction(id);
    transactions.delete(id);
    try {
      await connection.run(commit ? "commit" : "rollback");
    } finally {
      connection.closeSync();
    }
  },
  close() {
    for (const connection of transactions.values()) connection.closeSync();
    transactions.clear();
    for (const reader of idleReaders.splice(0)) closeReader(reader);
    instance?.closeSync();
    instance = null;
    setImmediate(() => process.exit(0));
  },
};

process.on("message", async ({ id, op, ...input }) => {
  try {
    const result = await operations[op](input);
    process.send({ id, result });
  } catch (error) {
    process.send({ id, error: error instanceof Error ? error.message : String(error) });
  }
});

// The server is gone (stopped, or killed): nothing is left to answer.
process.on("disconnect", () => process.exit(0));
