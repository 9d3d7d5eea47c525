import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import busboy from "busboy";
import { createContext } from "../context.js";
import type { Services } from "../services.js";
import { DomainError, NotFound, TooManyRequests, Unauthorized, Unreadable } from "../errors.js";
import { exportFileName, exportRange, exportZip } from "../imports/export.js";
import { describeBytes, IMPORT_LIMITS } from "../imports/limits.js";
import { createImport, takeUploadHit } from "../imports/store.js";
import { isDay } from "../imports/tables.js";
import { UploadTooLarge, UploadWriter } from "../imports/upload.js";
import { pauseBeforeRefusing } from "../refusals.js";
import { assertRole, requireSite } from "../sites/sites.js";

/**
 * The two endpoints of imports that are streams, not JSON: the upload (multipart, written to the
 * database as it arrives, never held whole) and the export (a zip written as it is made). Both
 * take the session cookie (pages, forms without JavaScript) or an API key (the CLI), and check the
 * admin role like the `imports.*` procedures.
 */
export interface StreamRequest {
  domain: string;
  headers: IncomingHttpHeaders;
  query: URLSearchParams;
  body: Readable;
  ip: string | null;
  sessionToken: string | null;
  apiKey: string | null;
}

export interface StreamReply {
  status: number;
  headers: Record<string, string>;
  body: string | AsyncIterable<Uint8Array>;
}

export const importsPath = (domain: string) => `/sites/${encodeURIComponent(domain)}/settings/imports`;

/** Uploads and exports under way in this instance: each is minutes of database work at most. */
const running = { uploads: 0, exports: 0 };
const AT_ONCE = 2;

async function admin(services: Services, request: StreamRequest) {
  const { db } = services;
  const context = createContext({ services, sessionToken: request.sessionToken, apiKey: request.apiKey, ip: request.ip ?? undefined, surface: request.apiKey ? "api" : "page" });
  const auth = await context.auth();
  if (!auth) throw new Unauthorized("Log in or use a valid API key");
  const access = await requireSite(db, auth.user.id, request.domain, "viewer");
  assertRole(access, "admin");
  return { site: access.site, userId: auth.user.id, context };
}

/** A browser's form post (answered with pages) or a tool (answered with JSON). */
const wantsJson = (request: StreamRequest) => request.apiKey !== null || (request.headers.accept ?? "").includes("application/json");

/** One of the instance's upload slots; the function gives it back (once, however often it is called). */
function takeUploadSlot(): () => void {
  if (running.uploads >= AT_ONCE) throw new TooManyRequests("Other uploads are under way. Please try again in a minute.", 60);
  running.uploads += 1;
  let held = true;
  return () => {
    if (held) running.uploads -= 1;
    held = false;
  };
}

export async function receiveUpload(services: Services, request: StreamRequest, wake: () => void): Promise<StreamReply> {
  const { db } = services;
  const declared = Number(request.headers["content-length"] ?? NaN);
  // Refused unread: a body declared larger than the limit is never read (the guards say 413 too).
  if (declared > IMPORT_LIMITS.uploadBytes + 64 * 1024) return refusal(request, new UploadTooLarge(IMPORT_LIMITS.uploadBytes));
  let release = () => {};
  let writer: UploadWriter | null = null;
  try {
    // Who asks, and whether they may, before a slot is taken: anyone could hold the slots otherwise.
    const { site, userId, context } = await admin(services, request);
    if (!(request.headers["content-type"] ?? "").toLowerCase().startsWith("multipart/form-data")) {
      throw new Unreadable("Send the files as multipart/form-data (a form with a file field).", 400);
    }
    release = takeUploadSlot();
    // Counted before a byte is read, and refusals paused like every limit's (refusals.ts); the
    // pause is the refused request's alone, so it gives its slot back first.
    const importId = await pauseBeforeRefusing(context, async () => {
      try {
        await takeUploadHit(db, userId, context.client);
        return await createImport(db, site.id, userId);
      } catch (error) {
        release();
        throw error;
      }
    });
    writer = new UploadWriter(db, importId);
    await readParts(request, writer);
    await writer.finish();
    release();
    wake();
    if (wantsJson(request)) return json(202, { id: writer.importId, status: "pending" });
    return { status: 303, headers: { Location: `${importsPath(site.domain)}?started=${writer.importId}` }, body: "" };
  } catch (error) {
    release();
    await writer?.abandon().catch(() => {});
    await drainSmall(request);
    return refusal(request, error);
  }
}

/** What is read and dropped of a refused upload so its client reads the answer (larger ones are cut off). */
const DRAIN_BYTES = 1024 * 1024;

/**
 * A refused upload's client may still be sending; a small body is read to its end first, so the
 * answer is not lost to a connection closed under the client (the server closes it after any
 * answer sent before the body ended).
 */
async function drainSmall(request: StreamRequest): Promise<void> {
  const body = request.body;
  const declared = Number(request.headers["content-length"] ?? NaN);
  if (!(declared <= DRAIN_BYTES) || body.readableEnded || body.destroyed) return;
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    setTimeout(done, 2_000).unref();
    body.once("end", done).once("close", done).once("error", done);
    body.resume();
  });
}

const cutOff = () => new Unreadable("The upload was cut off before its end. Please send it again.", 400);

/** What busboy's errors mean to the sender: "Unexpected end of form" (or file) is a body cut off. */
const unreadable = (error: Error) => (/^Unexpected end of (form|file)$/.test(error.message) ? cutOff() : new Unreadable("The upload is not readable multipart/form-data.", 400));

/**
 * Each file part in turn into the writer; the first failure stops reading the body. Settles only
 * once the writer is done with every part, so what it wrote can be removed after a failure.
 */
function readParts(request: StreamRequest, writer: UploadWriter): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: { files: IMPORT_LIMITS.files + 1, fields: 20, fieldSize: 1024, parts: IMPORT_LIMITS.files + 21 } });
    } catch {
      reject(new Unreadable("The upload is not readable multipart/form-data.", 400));
      return;
    }
    let chain = Promise.resolve();
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      request.body.unpipe(parser);
      // Ends the part being read, so the writer stops and the chain settles.
      parser.destroy();
      const settled = () => reject(error);
      chain.then(settled, settled);
    };
    parser.on("file", (_field, stream, info) => {
      const name = (info.filename ?? "").split(/[\\/]/).pop() ?? "";
      // A part's stream fails when the body ends inside it, possibly before the writer reads it:
      // without a listener from the start, that 'error' would end the process.
      stream.on("error", (error: Error) => fail(unreadable(error)));
      chain = chain.then(() => {
        // A file field left empty sends a part with no name and no bytes.
        if (failed || name === "") return void stream.resume();
        return writer.addFile(name, stream);
      });
      chain.catch((error: unknown) => {
        stream.resume();
        fail(error);
      });
    });
    parser.on("filesLimit", () => fail(new Unreadable(`Upload at most ${IMPORT_LIMITS.files} files at once; Plausible's export has ten.`, 400)));
    parser.on("error", (error: Error) => fail(unreadable(error)));
    parser.on("close", () => chain.then(() => !failed && resolve(), fail));
    request.body.on("error", () => fail(cutOff()));
    // A client that goes away mid-body: without this the upload would wait for parts that never come.
    request.body.on("close", () => {
      if ("complete" in request.body && !request.body.complete) fail(cutOff());
    });
    request.body.pipe(parser);
  });
}

export async function sendExport(services: Services, request: StreamRequest): Promise<StreamReply> {
  const { db } = services;
  if (running.exports >= AT_ONCE) return refusal(request, new TooManyRequests("Other exports are under way. Please try again in a minute.", 60));
  try {
    const { site } = await admin(services, request);
    const whole = await exportRange(db, site);
    const asked = { from: request.query.get("from") ?? whole.from, to: request.query.get("to") ?? whole.to };
    if (!isDay(asked.from) || !isDay(asked.to) || asked.from > asked.to) throw new Unreadable("from and to are days (YYYY-MM-DD), from no later than to.", 400);
    // Only the site's own days: a range of centuries would be a month's queries per table for each of them.
    const range = { from: asked.from > whole.from ? asked.from : whole.from, to: asked.to < whole.to ? asked.to : whole.to };
    if (range.from > range.to) throw new Unreadable(`The site has no own data from ${asked.from} to ${asked.to}: it has from ${whole.from} to ${whole.to}.`, 400);
    running.exports += 1;
    return {
      status: 200,
      headers: { "Content-Type": "application/zip", "Content-Disposition": `attachment; filename="${exportFileName(site.domain, range)}"`, "Cache-Control": "private, no-store" },
      body: (async function* () {
        try {
          yield* exportZip(db, site, range);
        } finally {
          running.exports -= 1;
        }
      })(),
    };
  } catch (error) {
    return refusal(request, error);
  }
}

const STATUS = new Map<string, number>([
  ["Invalid", 400],
  ["Unauthorized", 401],
  ["Forbidden", 403],
  ["NotFound", 404],
  ["Conflict", 409],
  ["TooManyRequests", 429],
  ["Unavailable", 503],
]);

function refusal(request: StreamRequest, error: unknown): StreamReply {
  const known = error instanceof DomainError;
  const status = error instanceof Unreadable ? error.status : known ? (STATUS.get(error.name) ?? 400) : 500;
  if (!known) console.error(JSON.stringify({ t: new Date().toISOString(), level: "error", imports: true, error: error instanceof Error ? error.stack : String(error) }));
  const message = known ? error.message : "Something went wrong on our side. Please try again.";
  const retry: Record<string, string> = error instanceof TooManyRequests ? { "Retry-After": String(error.retryAfterSeconds) } : {};
  if (wantsJson(request)) return { ...json(status, { error: message }), headers: { "Content-Type": "application/json", ...retry } };
  const back = error instanceof NotFound || error instanceof Unauthorized ? "/" : importsPath(request.domain);
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Import not started · Glimpse</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1 style="font-size: 1.4rem">The import was not started</h1><p role="alert">${escapeHtml(message)}</p>
<p>Uploads take up to ${describeBytes(IMPORT_LIMITS.uploadBytes)}.</p><p><a href="${escapeHtml(back)}">Back to Imports &amp; exports</a></p></body></html>`;
  return { status, headers: { "Content-Type": "text/html; charset=utf-8", ...retry }, body };
}

const json = (status: number, value: unknown): StreamReply => ({ status, headers: { "Content-Type": "application/json" }, body: JSON.stringify(value) });

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
