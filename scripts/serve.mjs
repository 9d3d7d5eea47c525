// The production server: Express in front of the Remix build. Everything that must hold for every
// response (security headers, CSRF, request logs, client IP) lives here, once.
import { randomBytes } from "node:crypto";
import { createRequestHandler } from "@remix-run/express";
import { broadcastDevReady } from "@remix-run/node";
import express from "express";

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

const app = express();
app.disable("x-powered-by");
app.set("trust proxy", config.trustProxy);

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
// Ingestion is cross-site by design; the tRPC endpoint checks Origin itself for cookie-authenticated calls.
const CROSS_SITE_PATHS = ["/api/event", "/api/trpc"];


// Defaults are filled in when headers are written, so a route that sets its own (the embed CSP) wins.
app.use((req, res, next) => {
  const nonce = randomBytes(16).toString("base64");
  res.locals.cspNonce = nonce;
  const isShare = req.path === "/share" || req.path.startsWith("/share/");
  const writeHead = res.writeHead;
  res.writeHead = function patchedWriteHead(...args) {
    // A reply sent before the request body was read (logout, deletes) must not leave the rest of
    // that body to be read as the next request on this connection.
    if (!req.complete) res.setHeader("Connection", "close");
    res.setHeader("X-Content-Type-Options", "nosniff");
    if (!res.hasHeader("Content-Security-Policy")) res.setHeader("Content-Security-Policy", runtime.contentSecurityPolicy(nonce));
    // Share URLs are bearer secrets: they must never leak through Referer.
    if (isShare) res.setHeader("Referrer-Policy", "no-referrer");
    else if (!res.hasHeader("Referrer-Policy")) res.setHeader("Referrer-Policy", "strict-origin-when-cross-origin");
    if (isShare) res.setHeader("X-Robots-Tag", "noindex, nofollow");
    if (config.production) res.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    return writeHead.apply(this, args);
  };
  next();
});

if (config.logRequests) {
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      // The path only: query strings can carry filters people typed, and share paths are logged
      // without their slug so a log reader cannot open the dashboards.
      const path = req.path.replace(/^\/share\/[^/]+/, "/share/:slug");
      process.stdout.write(
        `${JSON.stringify({ t: new Date().toISOString(), method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 })}\n`,
      );
    });
    next();
  });
}

// Every page builds its URL from the Host header; one that makes no URL is a bad request, not a crash.
app.use((req, res, next) => {
  if (URL.canParse(`${req.protocol}://${req.get("host") ?? ""}${req.originalUrl}`)) return next();
  res.status(400).type("text/plain").send("This request could not be understood.");
});

// CSRF: the session cookie is SameSite=Lax, and every state-changing request must also come from
// our own origin, as browsers tell us through Sec-Fetch-Site or Origin.
app.use((req, res, next) => {
  if (SAFE_METHODS.has(req.method) || CROSS_SITE_PATHS.some((p) => req.path.startsWith(p))) return next();
  const site = req.get("sec-fetch-site");
  const origin = req.get("origin");
  // Browsers that send Sec-Fetch-Site are trusted on it alone: pages sent with
  // Referrer-Policy: no-referrer (share pages) post with "Origin: null" from our own origin.
  const allowed = site
    ? site === "same-origin" || site === "none"
    : !origin || origin === config.publicOrigin || origin === `${req.protocol}://${req.get("host")}`;
  if (!allowed) {
    res.status(403).type("text/plain").send("Cross-site form submissions are not accepted. Go back, reload the page and try again.");
    return;
  }
  // Checked above; Remix's own check would otherwise refuse "Origin: null" as a foreign host.
  if (origin === "null") delete req.headers.origin;
  next();
});

// Static files live under known prefixes, so page requests never wait on a file-system lookup.
app.use("/build", express.static("public/build", { immutable: true, maxAge: "1y" }));
app.use("/js", express.static("public/js", { maxAge: "1h" }));
app.get("/favicon.svg", (req, res) => res.sendFile("favicon.svg", { root: "public", maxAge: "1d" }));

const loadContext = (req, res) => ({ ip: req.ip ?? "unknown", cspNonce: res.locals.cspNonce });

function webRequest(req) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  return new Request(new URL(req.originalUrl, `${req.protocol}://${req.get("host")}`), { headers });
}

// A share page rendered moments ago is sent again without rendering; the app still checks access
// and counts the view for this request (app/lib/share-page-cache.server.ts). Anything unusual
// (an odd Host header, an outage) falls through to the normal render, which answers it as before.
app.get("/share/:slug", (req, res, next) => {
  if (req.method !== "GET") return next();
  Promise.resolve()
    .then(() => runtime.cachedSharePage(webRequest(req), loadContext(req, res)))
    .then(
      (page) => (page ? res.status(200).set(page.headers).end(page.body) : next()),
      () => next(),
    );
});

app.use(createRequestHandler({ build, mode: config.production ? "production" : "development", getLoadContext: loadContext }));

// Express's own errors (a malformed URL, an unreadable body) end here: logged without the path,
// which for a share page would be the slug, and answered without a stack trace.
app.use((error, req, res, next) => {
  const status = typeof error?.status === "number" && error.status >= 400 && error.status < 600 ? error.status : 500;
  process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level: status >= 500 ? "error" : "warn", status, error: String(error?.message ?? error).slice(0, 200) })}\n`);
  if (res.headersSent) return next(error);
  res.status(status).type("text/plain").send(status >= 500 ? "Something went wrong on our side. Please try again." : "This request could not be understood.");
});

const server = app.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = config.port === 0 ? `http://127.0.0.1:${port}` : config.publicUrl;
  process.stdout.write(`Glimpse is running at ${url}\n`);
  // Under `npm run dev` the dev server restarts this process on every rebuild and waits for this.
  if (process.env.REMIX_DEV_ORIGIN) broadcastDevReady(build);
  runtime.warmUp().catch(() => {});
});

let closing = false;
async function shutdown(signal) {
  if (closing) return;
  closing = true;
  process.stdout.write(`${signal}: closing\n`);
  // Whatever is still in flight gets five seconds; then the process goes anyway.
  setTimeout(() => process.exit(0), 5_000).unref();
  server.close();
  server.closeAllConnections?.();
  await runtime.shutdown();
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
