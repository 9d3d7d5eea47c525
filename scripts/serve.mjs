// The production server: Express in front of the Remix build. Everything that must hold for every
// response (security headers, CSRF, request logs, client address, body limits) lives here, once.
import { randomBytes } from "node:crypto";
import { broadcastDevReady, createRequestHandler, writeReadableStreamToWritable } from "@remix-run/node";
import express from "express";
import { createServer } from "node:http";
import { continueIfFits, EMPTY, readBodies, refuseUnread } from "./http/bodies.mjs";
import { eventFastPath } from "./http/event-fast-path.mjs";

let build;
let runtime;
let config;
try {
  // Importing the build reads the configuration, so a bad one is reported here, without a stack.
  build = await import("../build/index.js");
  runtime = build.entry.module;
  config = await runtime.boot({ log: (line) => process.stdout.write(`${line}\n`) });
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const { http } = runtime;

const app = express();
app.disable("x-powered-by");
// A number of proxy hops or a list of proxy addresses (TRUST_PROXY); never "everyone".
app.set("trust proxy", config.trustProxy);

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

const plain = (res, status, text) => res.status(status).type("text/plain").send(text);

// What later steps decide by: the client's address as the trusted proxies report it, and the
// path as the router will match it (any spelling of /share is a share path).
app.use((req, res, next) => {
  res.locals.ip = http.validClientAddress(req.ip);
  res.locals.path = http.routePath(req.path);
  next();
});

// CSP nonces (128 bits each) cut from a buffer of the CSPRNG's bytes, each used once: one call for
// the bytes per 256 responses, where a call per response cost more than the event endpoint's own work.
let entropy = Buffer.alloc(0);
let used = 0;
function newNonce() {
  if (used + 16 > entropy.length) {
    entropy = randomBytes(4096);
    used = 0;
  }
  return entropy.toString("base64", used, (used += 16));
}

// Defaults are filled in when headers are written, so a route that sets its own (the embed CSP) wins.
app.use((req, res, next) => {
  const nonce = newNonce();
  res.locals.cspNonce = nonce;
  const isSecret = res.locals.path !== null && http.isSecretPath(res.locals.path);
  const writeHead = res.writeHead;
  res.writeHead = function patchedWriteHead(...args) {
    // A reply sent before the request body was read (logout, deletes, refusals) must not leave
    // the rest of that body to be read as the next request on this connection.
    // (A refused body's connection is closed by readBodies, after the client has read the answer.)
    if (!req.complete && !res.locals.refusedBody) res.setHeader("Connection", "close");
    baseHeaders(res, nonce, isSecret);
    return writeHead.apply(this, args);
  };
  next();
});

/**
 * The headers every answer gets, as a flat list of names and values: written in one writeHead by
 * the event fast path, set one by one (where its route did not set its own) by baseHeaders.
 */
function baseHeaderList(nonce, isSecret = false) {
  const list = [
    "X-Content-Type-Options", "nosniff",
    "Content-Security-Policy", runtime.contentSecurityPolicy(nonce),
    // Share and unsubscribe URLs are bearer secrets: they must never leak through Referer.
    "Referrer-Policy", isSecret ? "no-referrer" : "strict-origin-when-cross-origin",
    // Pages can show things meant for one person (a new API key): nothing is stored unless a
    // route says it may be (static files do).
    "Cache-Control", "no-store",
  ];
  if (isSecret) list.push("X-Robots-Tag", "noindex, nofollow");
  if (config.production) list.push("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  return list;
}

/** Set even where a route set its own, as is a secret path's Referrer-Policy; the rest only where it did not. */
const ALWAYS = new Set(["X-Content-Type-Options", "X-Robots-Tag", "Strict-Transport-Security"]);

/** The base headers on an answer Express or Remix writes. */
function baseHeaders(res, nonce, isSecret) {
  const list = baseHeaderList(nonce, isSecret);
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i];
    if (ALWAYS.has(name) || (isSecret && name === "Referrer-Policy") || !res.hasHeader(name)) res.setHeader(name, list[i + 1]);
  }
}

const logLine = (line) => process.stdout.write(`${line}\n`);

if (config.logRequests) {
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    // Share paths are logged without their slug, in whatever spelling they came.
    res.on("finish", () => logLine(http.requestLogLine(req.method, req.path, res.statusCode, start)));
    next();
  });
}

// The guards every request passes (server/http/guards.ts); the event fast path applies the same.
app.use((req, res, next) => {
  const refused = http.requestRefusal(res.locals.ip, res.locals.path, req, req.protocol);
  if (refused) return refuseUnread(req, res, refused);
  next();
});

// Ingestion is cross-site by design; the tRPC endpoint checks Origin itself for cookie-authenticated
// calls. Only plain spellings are exempt: `/api/event/../sites/…` is a settings page to the router.
const isCrossSitePath = (path) => http.isPlainPath(path) && (path === "/api/event" || path === "/api/trpc" || path.startsWith("/api/trpc/"));

/** The origin this request was addressed to: Host, or what trusted proxies forwarded. */
function requestOrigin(req) {
  const forwardedHost = req.app.get("trust proxy fn")(req.socket.remoteAddress, 0) ? req.get("x-forwarded-host")?.split(",")[0]?.trim() : undefined;
  return `${req.protocol}://${forwardedHost || req.get("host")}`;
}

// CSRF: the session cookie is SameSite=Lax, and every state-changing request must also come from
// our own origin, as browsers tell us through Sec-Fetch-Site or Origin. Our own origin is
// PUBLIC_URL's, or the one the request was addressed to.
app.use((req, res, next) => {
  if (SAFE_METHODS.has(req.method) || isCrossSitePath(req.path)) return next();
  const site = req.get("sec-fetch-site");
  const origin = req.get("origin");
  // Browsers that send Sec-Fetch-Site are trusted on it alone: pages sent with
  // Referrer-Policy: no-referrer (share pages) post with "Origin: null" from our own origin.
  const allowed = site ? site === "same-origin" || site === "none" : !origin || origin === config.publicOrigin || origin === requestOrigin(req);
  // Refused before its body is read (an upload's may still be coming): answered so the client reads it.
  if (!allowed) return refuseUnread(req, res, { status: 403, text: "Cross-site form submissions are not accepted. Go back, reload the page and try again." });
  // Decided here, with PUBLIC_URL and the trusted proxies in view. Remix would compare Origin
  // with Host again, and behind a proxy that rewrites Host it would refuse every form with a 500.
  res.locals.originChecked = true;
  next();
});

// Static files live under known prefixes, so page requests never wait on a file-system lookup.
app.use("/build", express.static("public/build", { immutable: true, maxAge: "1y" }));
app.use("/js", express.static("public/js", { maxAge: "1h" }));
app.get("/favicon.svg", (req, res) => res.sendFile("favicon.svg", { root: "public", maxAge: "1d" }));

// An import's upload streams into the database and an export streams out as it is made: neither
// is read here whole nor goes through Remix (server/http/imports.ts). A declared length over the
// upload limit is refused unread, like every other body.
const IMPORTS_PATH = /^\/api\/sites\/([^/]+)\/(imports|export\.zip)$/;
app.use((req, res, next) => {
  const match = http.isPlainPath(req.path) ? IMPORTS_PATH.exec(req.path) : null;
  if (!match) return next();
  const handler = match[2] === "imports" ? (req.method === "POST" ? http.importUpload : null) : req.method === "GET" ? http.siteExport : null;
  if (!handler) return res.set("Allow", match[2] === "imports" ? "POST" : "GET").status(405).type("text/plain").send("Method not allowed");
  const refused = http.bodyRefusal(req.method, res.locals.path, req);
  if (refused) return plain(res, refused.status, refused.text);
  let domain;
  try {
    domain = decodeURIComponent(match[1]);
  } catch {
    return plain(res, 400, http.NOT_UNDERSTOOD);
  }
  handler(req, domain, res.locals.ip).then((reply) => sendStream(res, reply), next);
});

/** A reply whose body may be a stream: written with backpressure, cut off if it fails midway. */
async function sendStream(res, reply) {
  res.status(reply.status).set(reply.headers);
  if (typeof reply.body === "string") return res.end(reply.body);
  try {
    for await (const chunk of reply.body) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
      if (res.destroyed) return;
    }
    res.end();
  } catch (error) {
    process.stderr.write(`${http.errorLogLine(500, error)}\n`);
    res.destroy();
  }
}

// Bodies are read here, up to the route's limit, before any route sees them.
app.use(readBodies(http));

// Events come by the thousand a second: answered here, by the same code as the Remix route
// (server/http/event-endpoint.ts), without a web Request and Response for each. Most never
// get this far: the fast path in front of Express (below) takes every plain one.
app.use((req, res, next) => {
  if (req.path !== "/api/event") return next();
  http
    .receiveEvent({ method: req.method, body: req.rawBody.toString("utf8"), ip: res.locals.ip, header: (name) => req.get(name) })
    .then((reply) => res.status(reply.status).set(reply.headers).end(reply.body), next);
});

const loadContext = (req, res) => ({ ip: res.locals.ip, cspNonce: res.locals.cspNonce });

/** The request as Remix and the share-page cache see it, with the body read above. */
function webRequest(req, res, signal) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (res.locals.originChecked && req.rawHeaders[i].toLowerCase() === "origin") continue;
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.originalUrl, `${req.protocol}://${req.get("host")}`), {
    method: req.method,
    headers,
    signal,
    ...(hasBody && { body: req.rawBody ?? EMPTY }),
  });
}

// A share page rendered moments ago is sent again without rendering; the app still checks access
// and counts the view for this request (app/lib/share-page-cache.server.ts). Anything unusual
// (an odd Host header, an outage) falls through to the normal render, which answers it as before.
app.get("/share/:slug", (req, res, next) => {
  if (req.method !== "GET") return next();
  Promise.resolve()
    .then(() => runtime.cachedSharePage(webRequest(req, res), loadContext(req, res)))
    .then(
      (page) => (page ? res.status(200).set(page.headers).end(page.body) : next()),
      () => next(),
    );
});

const handleRemix = createRequestHandler(build, config.production ? "production" : "development");
app.use(async (req, res, next) => {
  try {
    // Loaders and actions stop when the client goes away before the answer is written.
    const controller = new AbortController();
    res.on("close", () => res.writableFinished || controller.abort());
    const response = await handleRemix(webRequest(req, res, controller.signal), loadContext(req, res));
    // A reason phrase must be plain ASCII; anything else would throw while writing the head.
    if (/^[\t\x20-\x7e]*$/.test(response.statusText)) res.statusMessage = response.statusText;
    res.status(response.status);
    for (const [name, value] of response.headers) res.append(name, value);
    if (response.body) await writeReadableStreamToWritable(response.body, res);
    else res.end();
  } catch (error) {
    next(error);
  }
});

// Express's own errors (a malformed URL, an unreadable body) end here: logged without the path,
// which for a share page would be the slug, and answered without a stack trace.
app.use((error, req, res, next) => {
  const status = typeof error?.status === "number" && error.status >= 400 && error.status < 600 ? error.status : 500;
  process.stderr.write(`${http.errorLogLine(status, error)}\n`);
  if (res.headersSent) return next(error);
  plain(res, status, status >= 500 ? http.SERVER_FAULT : http.NOT_UNDERSTOOD);
});

const fastEvent = eventFastPath({
  http,
  trust: app.get("trust proxy fn"),
  baseHeaders: () => baseHeaderList(newNonce()),
  log: config.logRequests ? logLine : null,
});
const server = createServer((req, res) => fastEvent(req, res) || app(req, res));
server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = config.port === 0 ? `http://127.0.0.1:${port}` : config.publicUrl;
  process.stdout.write(`Glimpse is running at ${url}\n`);
  // Under `npm run dev` the dev server restarts this process on every rebuild and waits for this.
  if (process.env.REMIX_DEV_ORIGIN) broadcastDevReady(build);
  runtime.warmUp().catch(() => {});
});
server.on("checkContinue", continueIfFits(http, app));
// A client gets 20 s to send its headers and 30 s for the whole request, so slow senders cannot
// hold connections (and their bodies, up to the limits above) for Node's default five minutes.
server.headersTimeout = 20_000;
server.requestTimeout = 30_000;

/** How long a clean stop waits for the accepted events to be written (a full buffer on a slow database). */
const EVENTS_STOP_MS = 60_000;

let closing = false;
async function shutdown(signal) {
  if (closing) return;
  closing = true;
  process.stdout.write(`${signal}: closing\n`);
  server.close();
  server.closeAllConnections?.();
  // Every accepted event is written first: up to INGEST_BUFFER_MB of them can take the database
  // more than a few seconds. A database that fails ends this at once (the loss is logged).
  await Promise.race([runtime.writeHeldEvents(), new Promise((resolve) => setTimeout(resolve, EVENTS_STOP_MS).unref())]);
  // The rest gets five seconds; then the process goes anyway.
  setTimeout(() => process.exit(0), 5_000).unref();
  await runtime.shutdown();
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
