// The wire side of the HTTP form fuzz: one POST with a body in any encoding, always from our own
// origin (so the CSRF guard lets it through to the action), never storing the cookies it gets back
// (so an actor stays who they are).
import http from "node:http";

const BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

/**
 * Percent-encodes every UTF-16 code unit as WTF-8, so a lone surrogate goes on the wire as the
 * invalid UTF-8 bytes a careless client would send (URLSearchParams would make it U+FFFD).
 */
export function pctWtf8(text) {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e) {
      out += String.fromCharCode(c);
      continue;
    }
    const bytes =
      c < 0x80
        ? [c]
        : c < 0x800
          ? [0xc0 | (c >> 6), 0x80 | (c & 63)]
          : c < 0x10000
            ? [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)]
            : [0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)];
    for (const b of bytes) out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** A path segment that decodes back to the value (lone surrogates excepted: those stay broken). */
export const segment = (value) => pctWtf8(String(value));

/** Body and content type for the pairs in the given encoding. */
export function encodeBody(pairs, encoding, garbage) {
  const strings = pairs.map(([k, v]) => [String(k), String(v)]);
  switch (encoding) {
    case "urlencoded":
      return { body: new URLSearchParams(strings).toString(), type: "application/x-www-form-urlencoded" };
    case "urlencoded-raw":
      return { body: strings.map(([k, v]) => `${pctWtf8(k)}=${pctWtf8(v)}`).join("&"), type: "application/x-www-form-urlencoded;charset=UTF-8" };
    case "multipart":
    case "multipart-file": {
      const form = new FormData();
      strings.forEach(([k, v], i) => {
        if (encoding === "multipart-file" && i % 2 === 0) form.append(k, new Blob([v], { type: "text/plain" }), i % 4 ? "x.txt" : "");
        else form.append(k, v);
      });
      return { body: form, type: null };
    }
    case "multipart-broken": {
      const parts = strings.map(([k, v]) => `--b0undary\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}`).join("\r\n");
      return { body: parts, type: "multipart/form-data; boundary=b0undary" };
    }
    case "json":
      return { body: JSON.stringify(Object.fromEntries(strings)), type: "application/json" };
    case "text":
      return { body: strings.map(([k, v]) => `${k}=${v}`).join("\r\n"), type: "text/plain;charset=UTF-8" };
    case "none":
      return { body: undefined, type: null };
    case "garbage":
      return { body: garbage.bytes, type: garbage.contentType };
    default:
      throw new Error(`unknown encoding ${encoding}`);
  }
}

let ipCounter = 0;
/** A new client address per request: the per-IP rate limits must not end the fuzz early. */
export function nextIp() {
  ipCounter += 1;
  return `10.${100 + ((ipCounter >> 16) & 0x7f)}.${(ipCounter >> 8) & 0xff}.${ipCounter & 0xff}`;
}

/** The request body as bytes, and its content type (FormData gets its multipart boundary here). */
async function bytesOf(body, type) {
  if (body === undefined) return { bytes: undefined, type };
  if (body instanceof FormData) {
    const encoded = new Response(body);
    return { bytes: Buffer.from(await encoded.arrayBuffer()), type: encoded.headers.get("content-type") };
  }
  return { bytes: Buffer.from(body), type };
}

/**
 * One POST on a connection of its own (node:http rather than fetch: when the server answers before
 * it has read the whole body and closes the connection, the answer still counts, as in a browser).
 * @param {string} baseUrl
 * @param {{ path: string, body?: unknown, type?: string|null, cookie?: string, userAgent?: string }} request
 */
export async function send(baseUrl, { path, body, type, cookie, userAgent = BROWSER_UA }) {
  const encoded = await bytesOf(body, type);
  const url = new URL(path, baseUrl);
  const headers = {
    Host: url.host,
    Origin: baseUrl,
    "Sec-Fetch-Site": "same-origin",
    "X-Forwarded-For": nextIp(),
    Accept: "text/html,application/xhtml+xml,*/*;q=0.8",
    "User-Agent": userAgent,
    Connection: "close",
  };
  if (encoded.type !== null && encoded.type !== undefined) headers["Content-Type"] = encoded.type;
  if (encoded.bytes) headers["Content-Length"] = String(encoded.bytes.length);
  if (cookie) headers.Cookie = cookie;
  const started = performance.now();
  const res = await new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ hostname: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: "POST", headers, agent: false, timeout: 30_000 }, (response) => {
      answered = true;
      const chunks = [];
      const done = () => resolve({ response, text: Buffer.concat(chunks).toString("utf8") });
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", done);
      response.on("error", done);
      response.on("aborted", done);
    });
    // A write error after the answer (the server closed without reading the rest) is not a failure.
    req.on("error", (error) => answered || reject(error));
    req.on("timeout", () => req.destroy(new Error("no answer within 30 s")));
    req.end(encoded.bytes);
  });
  const { response, text } = res;
  // Remix data requests answer a redirect differently: "?_data=" with 204 and X-Remix-Redirect,
  // single fetch (".data") with 202 and a Location header.
  const location = response.headers.location ?? response.headers["x-remix-redirect"] ?? null;
  const status = response.statusCode;
  const setCookie = response.headers["set-cookie"] ?? [];
  return {
    status,
    location,
    redirect: (status >= 300 && status < 400) || ((status === 204 || status === 202) && location !== null),
    setCookies: setCookie,
    body: text,
    ms: performance.now() - started,
  };
}
