// POST /api/event, answered before Express sees the request. Events come by the thousand a
// second, and Express's own work per request (its layers one by one, query parsing, swapping
// prototypes) cost more than a quarter of an event's time. Only the common, well-formed case
// is taken here: a POST to the plain path with a declared body, that passes the same guards
// (server/http/guards.ts) Express applies to every request. Anything else (a refusal to
// explain, a streamed or oversized body, `Expect: 100-continue`) goes on to Express, which
// answers it with those guards' words, as for any path.
import proxyaddr from "proxy-addr";
import getRawBody from "raw-body";

const PATH = "/api/event";
const PLAIN = { "Content-Type": "text/plain; charset=utf-8" };

/**
 * @param {object} options
 * @param {object} options.http the backend's HTTP guards and event endpoint (app/lib/http.server.ts)
 * @param {(address: string, hop: number) => boolean} options.trust Express's compiled "trust proxy" function
 * @param {() => string[]} options.baseHeaders the headers every answer gets, as a flat list of names and values
 * @param {((line: string) => void) | null} options.log the request log, when it is on
 * @returns {(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => boolean}
 *   true when it took the request
 */
export function eventFastPath({ http, trust, baseHeaders, log }) {
  const limit = http.bodyLimit("POST", PATH);
  return (req, res) => {
    if (req.method !== "POST" || (req.url !== PATH && !req.url.startsWith(`${PATH}?`))) return false;
    const declared = req.headers["content-length"];
    if (declared === undefined || req.headers["transfer-encoding"] !== undefined || req.headers.expect !== undefined) return false;
    const ip = http.validClientAddress(proxyaddr(req, trust));
    if (http.requestRefusal(ip, PATH, req) || http.bodyRefusal("POST", PATH, req)) return false;

    const started = log ? process.hrtime.bigint() : 0n;
    const finish = (status, headers, body) => {
      // One list for writeHead: no header is set on its own, and no route's header can clash.
      const head = baseHeaders();
      for (const name in headers) head.push(name, headers[name]);
      // A declared length: without it the answer goes chunked, in several writes instead of one.
      head.push("Content-Length", String(Buffer.byteLength(body)));
      res.writeHead(status, head);
      res.end(body);
      if (log) log(http.requestLogLine("POST", PATH, status, started));
    };
    getRawBody(req, { length: declared, limit })
      .then((body) => http.receiveEvent({ method: "POST", body: body.toString("utf8"), ip, header: (name) => req.headers[name.toLowerCase()] }))
      .then(
        (reply) => finish(reply.status, reply.headers, reply.body),
        (error) => {
          if (res.headersSent) return;
          // A body shorter or longer than declared, or a client gone: its fault, as in Express's reading.
          if (http.isClientBodyError(error)) return finish(400, { ...PLAIN, Connection: "close" }, http.UNREADABLE_BODY);
          process.stderr.write(`${http.errorLogLine(500, error)}\n`);
          finish(500, PLAIN, http.SERVER_FAULT);
        },
      );
    return true;
  };
}
