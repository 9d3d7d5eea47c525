// Requests a browser or fetch would not send as written: raw paths (`/api/event/../sites`),
// bodies of hundreds of megabytes streamed without holding them, odd headers.
import { request } from "node:http";

/**
 * Sends one request with exactly this path. `bytes` of body go out in 1 MB chunks, declared with
 * Content-Length or chunked; `stopOnAnswer` stops sending once the server has answered (a careful
 * client), otherwise everything is sent regardless (a careless one).
 * Resolves to { status, headers, body } or { error }.
 * @param {string} baseUrl
 * @param {{ method?: string, path: string, headers?: Record<string,string>, body?: string, bytes?: number, chunked?: boolean, stopOnAnswer?: boolean }} options
 */
export function rawRequest(baseUrl, { method = "GET", path, headers = {}, body, bytes = 0, chunked = false, stopOnAnswer = true }) {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    let answered = false;
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          ...headers,
          ...(body !== undefined && { "Content-Length": String(Buffer.byteLength(body)) }),
          ...(bytes > 0 && (chunked ? { "Transfer-Encoding": "chunked" } : { "Content-Length": String(bytes) })),
        },
        agent: false,
      },
      (res) => {
        answered = true;
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
          // A careful client stops sending once answered; the rest of its body is never sent.
          if (stopOnAnswer) req.destroy();
        });
        res.on("error", (error) => resolve({ error: error.code ?? error.message }));
      },
    );
    req.on("error", (error) => {
      if (!answered) resolve({ error: error.code ?? error.message });
    });
    if (body !== undefined) return req.end(body);
    if (bytes === 0) return req.end();
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        if (stopOnAnswer && answered) return;
        if (req.destroyed) return;
        const size = Math.min(chunk.length, bytes - sent);
        sent += size;
        if (!req.write(size === chunk.length ? chunk : chunk.subarray(0, size))) return req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

/** p50 and p95 of an array of milliseconds. */
export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p95: at(0.95) };
}

/** Times `count` sequential GETs of `path`; returns milliseconds per request. */
export async function timeGets(baseUrl, path, count, headers = {}) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await fetch(new URL(path, baseUrl), { headers, redirect: "manual" });
    await res.arrayBuffer();
    if (res.status >= 500) throw new Error(`${path} answered ${res.status}`);
    times.push(performance.now() - started);
  }
  return times;
}
