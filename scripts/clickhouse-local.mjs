// `npm run clickhouse:local -- --port 8123 --path DIR`: ClickHouse's HTTP interface over chdb (the
// ClickHouse engine in this process), for trying STATS_ENGINE=clickhouse and for the tests, with
// no server to install. Not for production: one process, one query at a time, no users or
// passwords (whatever credentials a client sends are accepted), listening on 127.0.0.1 unless told.
import { createServer } from "node:http";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { loadChdb } from "./chdb.mjs";

function options(argv) {
  const out = { port: 8123, path: "./.data/clickhouse", host: "127.0.0.1" };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = inline ?? argv[++i];
    if (flag === "--port") out.port = Number(value);
    else if (flag === "--path") out.path = value;
    else if (flag === "--host") out.host = value;
    else {
      process.stderr.write(`Unknown option ${flag}. Usage: npm run clickhouse:local -- --port 8123 --path DIR [--host 127.0.0.1]\n`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) {
    process.stderr.write("--port must be a port number (0 picks a free one)\n");
    process.exit(2);
  }
  return out;
}

/** The HTTP status a ClickHouse server gives an exception, by its code. */
function statusOf(code) {
  if ([62, 27, 26, 117, 36, 6, 41, 38, 69, 70, 53, 457, 456].includes(code)) return 400;
  if (code === 60 || code === 81) return 404;
  if (code === 516 || code === 192) return 401;
  return 500;
}

const CONTENT_TYPES = { JSON: "application/json", JSONEachRow: "application/x-ndjson", JSONCompactEachRow: "application/x-ndjson" };

const ESCAPES = { "\\": "\\", "'": "'", '"': '"', "0": "\0", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", a: "\x07", v: "\v" };

/** A value in ClickHouse's escaped text form (what clients send as `param_x`), as plain text. */
function unescape(text) {
  return text.replace(/\\(.)/gs, (_, c) => ESCAPES[c] ?? c);
}

/** An array literal (`['a','b\\'c']`, `[1,2]`) as a JS array; nested arrays are not needed here. */
function parseArray(text) {
  const out = [];
  let i = text.indexOf("[") + 1;
  while (i < text.length) {
    while (text[i] === " " || text[i] === ",") i++;
    if (text[i] === "]" || i >= text.length) break;
    if (text[i] === "'") {
      let value = "";
      for (i++; i < text.length && text[i] !== "'"; i++) value += text[i] === "\\" ? (ESCAPES[text[++i]] ?? text[i]) : text[i];
      out.push(value);
      i++;
    } else {
      const end = text.slice(i).search(/[,\]]/);
      const token = text.slice(i, end < 0 ? undefined : i + end).trim();
      out.push(token === "NULL" ? null : Number.isNaN(Number(token)) ? token : Number(token));
      i = end < 0 ? text.length : i + end;
    }
  }
  return out;
}

/**
 * chdb's binding escapes the values it is given (a string as TSV, an array as a literal), so each
 * parameter goes to it as the plain value the client escaped, read by the type the query declares.
 */
function bindings(sql, params) {
  const types = new Map([...sql.matchAll(/\{(\w+):([^}]+)\}/g)].map((m) => [m[1], m[2].trim()]));
  const bound = {};
  for (const [name, value] of Object.entries(params)) bound[name] = /^Array\(/.test(types.get(name) ?? "") ? parseArray(value) : unescape(value);
  return bound;
}

async function readBody(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  return request.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body;
}

export function startLocalServer({ port, path, host }) {
  const chdb = loadChdb();
  mkdirSync(path, { recursive: true });
  const session = new chdb.Session(resolve(path));
  // A session runs one query at a time: requests wait their turn, in order.
  let queue = Promise.resolve();
  const serially = (work) => {
    const done = queue.then(work);
    queue = done.catch(() => {});
    return done;
  };
  let database = "default";

  async function run(sql, params, db, format) {
    if (db !== database) {
      await session.queryAsync(`USE ${db.replace(/[^A-Za-z0-9_]/g, "")}`);
      database = db;
    }
    return Object.keys(params).length ? session.queryBindAsync(sql, bindings(sql, params), { format }) : session.queryAsync(sql, { format });
  }

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if ((request.method === "GET" || request.method === "HEAD") && (url.pathname === "/ping" || (url.pathname === "/" && !url.searchParams.has("query")))) {
      response.writeHead(200, { "Content-Type": "text/plain; charset=UTF-8" });
      return response.end("Ok.\n");
    }
    if (url.pathname !== "/") {
      response.writeHead(404, { "Content-Type": "text/plain; charset=UTF-8" });
      return response.end("There is no handle " + url.pathname + "\n");
    }
    const queryId = url.searchParams.get("query_id") || crypto.randomUUID();
    try {
      const body = request.method === "POST" ? (await readBody(request)).toString("utf8") : "";
      const sql = [url.searchParams.get("query") ?? "", body].filter((part) => part.trim() !== "").join("\n");
      if (!sql) throw Object.assign(new Error("Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)"), { code: 62 });
      // Settings in the address are not applied: the engine sends none it relies on.
      const params = {};
      for (const [key, value] of url.searchParams) if (key.startsWith("param_")) params[key.slice(6)] = value;
      const db = url.searchParams.get("database") ?? request.headers["x-clickhouse-database"] ?? "default";
      const format = url.searchParams.get("default_format") ?? request.headers["x-clickhouse-format"] ?? "TabSeparated";
      const result = await serially(() => run(sql, params, String(db), String(format)));
      const formatMatch = /\bFORMAT\s+(\w+)\s*;?\s*$/i.exec(sql);
      const summary = { read_rows: String(result.rowsRead ?? 0), read_bytes: String(result.bytesRead ?? 0), written_rows: "0", written_bytes: "0", total_rows_to_read: "0", result_rows: "0", result_bytes: "0", elapsed_ns: String(Math.round((result.elapsed ?? 0) * 1e9)) };
      response.writeHead(200, {
        "Content-Type": `${CONTENT_TYPES[formatMatch?.[1] ?? format] ?? "text/tab-separated-values"}; charset=UTF-8`,
        "X-ClickHouse-Query-Id": queryId,
        "X-ClickHouse-Format": formatMatch?.[1] ?? format,
        "X-ClickHouse-Summary": JSON.stringify(summary),
      });
      response.end(result.bytes());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = Number(error?.clickhouseCode ?? error?.code ?? /Code: (\d+)/.exec(message)?.[1] ?? 1002);
      const text = message.startsWith("Code:") ? message : `Code: ${Number.isFinite(code) ? code : 1002}. DB::Exception: ${message}. (UNKNOWN_EXCEPTION)`;
      if (!response.headersSent) {
        response.writeHead(statusOf(code), { "Content-Type": "text/plain; charset=UTF-8", "X-ClickHouse-Exception-Code": String(code), "X-ClickHouse-Query-Id": queryId });
      }
      response.end(`${text}\n`);
    }
  });

  return new Promise((resolveListening, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolveListening({
        port: typeof address === "object" && address ? address.port : port,
        async close() {
          await new Promise((done) => server.close(() => done()));
          await queue;
          session.close();
        },
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opts = options(process.argv.slice(2));
  let local;
  try {
    local = await startLocalServer(opts);
  } catch (error) {
    // A person's mistake (a port in use, a folder another server holds) in one line, not a stack.
    const reason =
      error?.code === "EADDRINUSE"
        ? `port ${opts.port} on ${opts.host} is in use (another clickhouse:local?); choose another with --port`
        : error?.code === "EACCES"
          ? `port ${opts.port} needs privileges; choose one above 1023 with --port`
          : `${error instanceof Error ? error.message.split("\n")[0] : error} (is another clickhouse:local using --path ${resolve(opts.path)}?)`;
    process.stderr.write(`clickhouse:local could not start: ${reason}\n`);
    process.exit(1);
  }
  process.stdout.write(`clickhouse:local listening on http://${opts.host}:${local.port} (data in ${resolve(opts.path)}); for trying, not for production\n`);
  const stop = async () => {
    await local.close();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
