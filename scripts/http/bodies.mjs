// Request bodies, read before any route sees them and never past the route's limit (the limits
// live in server/net/body-limits.ts, the decisions in server/http/guards.ts): a declared length
// over the limit is refused unread, a streamed body is cut off as soon as it passes it, and a
// client that asks first (Expect: 100-continue) is refused before it sends a byte.
import getRawBody from "raw-body";

const EMPTY = Buffer.alloc(0);
/** What is read and dropped of a refused body before the connection is given up on. */
const DRAIN_BYTES = 1024 * 1024;
/** How long the connection of a refused body stays open after the answer, so the client reads it. */
const LINGER_MS = 2_000;

const plain = (res, status, text) => res.status(status).type("text/plain").send(text);

/**
 * Express middleware: `req.rawBody` holds the body (a Buffer) for the routes after it.
 * `res.locals.path` is the path as the router matches it. The decisions and their words are the
 * guards' (server/http/guards.ts), the event fast path's too.
 */
export function readBodies({ bodyLimit, bodyRefusal, tooLarge, UNREADABLE_BODY }) {
  return (req, res, next) => {
    const declared = req.headers["content-length"];
    const streamed = req.headers["transfer-encoding"] !== undefined;
    if (!streamed && (declared === undefined || declared === "0")) {
      req.rawBody = EMPTY;
      return next();
    }
    const refused = bodyRefusal(req.method, res.locals.path, req);
    if (refused) return refuse(req, res, refused);
    const limit = bodyLimit(req.method, res.locals.path);
    getRawBody(req, { length: streamed ? undefined : declared, limit }).then(
      (body) => {
        req.rawBody = body;
        next();
      },
      (error) => {
        if (res.headersSent) return;
        if (error?.type === "entity.too.large") return refuse(req, res, tooLarge(limit));
        // Aborted by the client, or a length that did not match the body.
        plain(res, 400, UNREADABLE_BODY);
      },
    );
  };
}

/**
 * 413, answered so that the client sees it. The client may still be sending. A body declared at
 * most DRAIN_BYTES is read to its end and dropped, so the connection stays usable (keep-alive);
 * of any other, nothing more is read: the client's writes stop once the socket's buffers are
 * full, and it reads the answer meanwhile. That connection is left open a moment (closing it with
 * unread bytes would make the client lose the answer), then cut.
 */
function refuse(req, res, { status, text }) {
  // Asked first and refused: the body never comes, and the connection ends with the answer.
  if (req.expectRefused) return plain(res, status, text);
  res.locals.refusedBody = true;
  res.shouldKeepAlive = true;
  req.unpipe();
  const declared = Number(req.headers["content-length"]);
  const budget = declared <= DRAIN_BYTES ? declared : 0;
  let drained = 0;
  const drop = (chunk) => {
    drained += chunk.length;
    if (drained <= budget) return;
    req.off("data", drop);
    req.pause();
    setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
  };
  req.on("data", drop);
  req.resume();
  plain(res, status, text);
}

/**
 * A refusal decided before the body is read (cross-site, a guard): a body declared at most
 * DRAIN_BYTES (an upload's may still be coming) is read to its end first, so the client reads the
 * answer instead of a connection broken under its writes; the connection is left to Node (forcing
 * keep-alive here, as `refuse` does, broke the next request a proxy sent on it).
 */
export function refuseUnread(req, res, { status, text }) {
  const declared = Number(req.headers["content-length"]);
  if (req.complete || !(declared <= DRAIN_BYTES)) return plain(res, status, text);
  const send = () => {
    if (!res.headersSent) plain(res, status, text);
  };
  req.once("end", send).once("error", send).once("close", send);
  setTimeout(send, LINGER_MS).unref();
  req.resume();
}

/**
 * For the server's "checkContinue" event: a client that declares its length first is told to go
 * on only when the length fits the route; otherwise `readBodies` answers it 413 unread.
 */
export function continueIfFits({ bodyRefusal, routePath }, app) {
  return (req, res) => {
    const path = routePath((req.url ?? "/").split("?")[0]);
    if (path !== null && bodyRefusal(req.method ?? "POST", path, req)) req.expectRefused = true;
    else res.writeContinue();
    app(req, res);
  };
}

export { EMPTY };
