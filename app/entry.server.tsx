import { PassThrough } from "node:stream";
import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { NonceContext } from "./lib/nonce";
import { loggablePath } from "./lib/http.server";
import { isSharePageOffered, keepSharePage } from "./lib/share-page-cache.server";

export { contentSecurityPolicy } from "./lib/csp.server";
export { boot, shutdown, warmUp, writeHeldEvents } from "./lib/runtime.server";
export { cachedSharePage } from "./lib/share-page-cache.server";
export * as http from "./lib/http.server";

const ABORT_DELAY = 5_000;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  // Crawlers and no-JS clients get the whole document at once; browsers get it streamed.
  const waitForAll = isbot(request.headers.get("user-agent") ?? "");
  const nonce = loadContext.cspNonce;
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceContext.Provider>,
      {
        nonce,
        [waitForAll ? "onAllReady" : "onShellReady"]() {
          shellRendered = true;
          const body = new PassThrough();
          if (isSharePageOffered(loadContext)) {
            const chunks: Buffer[] = [];
            body.on("data", (chunk: Buffer) => chunks.push(chunk));
            body.on("end", () => keepSharePage(request, loadContext, responseStatusCode, responseHeaders, Buffer.concat(chunks).toString("utf8")));
          }
          responseHeaders.set("Content-Type", "text/html; charset=utf-8");
          resolve(new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }));
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          if (shellRendered) console.error(error);
        },
      },
    );
    setTimeout(abort, ABORT_DELAY);
  });
}

export function handleError(error: unknown, { request }: { request: Request }) {
  if (request.signal.aborted) return;
  // 4xx responses (unknown URLs, not-found objects) are answers, not errors.
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === "number" && status < 500) return;
  // Remix warns about legacy ?_data requests through this hook; anyone can send one, so it is not ours to log.
  if (error instanceof Error && error.message.includes("should not be making ?_data requests")) return;
  const path = loggablePath(new URL(request.url).pathname);
  console.error(JSON.stringify({ t: new Date().toISOString(), level: "error", path, error: error instanceof Error ? error.stack : String(error) }));
}
