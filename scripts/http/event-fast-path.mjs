// POST /api/event, answered before Express sees the request. Events come by the thousand a
// second, and Express's own work per request (its layers one by one, query parsing, swapping
// prototypes) cost more than a quarter of an event's time. Only the common, well-formed case
// is taken here: a POST to the plain path, from a valid client address, with a Host that makes
// a URL and a declared body within the limit. Anything else (a refusal to explain, a streamed or
// oversized body, `Expect: 100-continue`) goes on to Express, which answers it as for any path.
import proxyaddr from "proxy-addr";
import getRawBody from "raw-body";

const PATH = "/api/event";

/**
 * @param {object} options
 * @param {{ receiveEvent: Function }} options.runtime the app's event endpoint (the same code as the Remix route)
 * @param {{ validClientAddress: Function, bodyLimit: Function }} options.http
 * @param {(address: string, hop: number) => boolean} options.trust Express's compiled "trust proxy" function
 * @param {(res: import("node:http").ServerResponse) => void} options.baseHeaders the headers every answer gets
 * @param {((line: object) => void) | null} options.log the request log, when it is on
 * @returns {(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => boolean}
 *   true when it took the request
 */
export function eventFastPath({ runtime, http, trust, baseHeaders, log }) {
  const limit = http.bodyLimit("POST", PATH);
  return (req, res) => {
    if (req.method !== "POST" || (req.url !== PATH && !req.url.startsWith(`${PATH}?`))) return false;
    const declared = req.headers["content-length"];
    if (declared === undefined || req.headers["transfer-encoding"] !== undefined || req.headers.expect !== undefined || !(Number(declared) <= limit)) return false;
    const ip = http.validClientAddress(proxyaddr(req, trust));
    if (!ip || !URL.canParse(`http://${req.headers.host ?? ""}${req.url}`)) return false;

    const started = log ? process.hrtime.bigint() : 0n;
    const finish = (status, headers, body) => {
      baseHeaders(res);
      res.writeHead(status, headers);
      res.end(body);
      if (log) log({ t: new Date().toISOString(), method: "POST", path: PATH, status, ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10 });
    };
    getRawBody(req, { length: declared, limit })
      .then((body) => runtime.receiveEvent({ method: "POST", body: body.toString("utf8"), ip, header: (name) => req.headers[name.toLowerCase()] }))
      .then(
        (reply) => finish(reply.status, reply.headers, reply.body),
        (error) => {
          if (res.headersSent) return;
          // A body shorter or longer than declared, or a client gone: its fault, as in Express's reading.
          if (error?.type === "request.size.invalid" || error?.type === "request.aborted" || error?.code === "ECONNABORTED") {
            return finish(400, { "Content-Type": "text/plain; charset=utf-8", Connection: "close" }, "The request body could not be read.");
          }
          process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level: "error", status: 500, error: String(error?.message ?? error).slice(0, 200) })}\n`);
          finish(500, { "Content-Type": "text/plain; charset=utf-8" }, "Something went wrong on our side. Please try again.");
        },
      );
    return true;
  };
}
