// A tiny HTTP client with a cookie jar, for admin set-up through the app's own forms and for
// checks a browser cannot make (exact headers, forged cookies, forged origins).

export class Client {
  /** @param {string} baseUrl @param {{ ip?: string, headers?: Record<string,string> }} [options] */
  constructor(baseUrl, { ip, headers = {} } = {}) {
    this.baseUrl = baseUrl;
    this.jar = new Map();
    // The e2e servers trust X-Forwarded-For, so each client can have its own address (rate limits are per IP).
    this.headers = { ...(ip ? { "X-Forwarded-For": ip } : {}), ...headers };
  }

  cookie(name) {
    return this.jar.get(name);
  }

  setCookie(name, value) {
    if (value === undefined) this.jar.delete(name);
    else this.jar.set(name, value);
  }

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /**
   * @param {string} path
   * @param {{ method?: string, form?: Record<string,string>|Array<[string,string]>, json?: unknown, headers?: Record<string,string>, cookies?: boolean }} [options]
   */
  async request(path, { method, form, json, headers = {}, cookies = true } = {}) {
    const init = { method: method ?? (form || json !== undefined ? "POST" : "GET"), redirect: "manual", headers: { ...this.headers, ...headers } };
    if (cookies && this.jar.size > 0) init.headers.Cookie = this.cookieHeader();
    if (form) {
      init.body = new URLSearchParams(form).toString();
      init.headers["Content-Type"] = "application/x-www-form-urlencoded";
    } else if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers["Content-Type"] = "application/json";
    }
    const res = await fetch(new URL(path, this.baseUrl), init);
    if (cookies) this.#store(res);
    const body = await res.text();
    return { status: res.status, headers: res.headers, body, setCookies: res.headers.getSetCookie(), location: res.headers.get("location") };
  }

  get(path, options) {
    return this.request(path, { ...options, method: "GET" });
  }

  post(path, form, options) {
    return this.request(path, { ...options, method: "POST", form });
  }

  #store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === "") this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }
}

/** Parses one Set-Cookie line into its value and lower-cased attributes. */
export function parseSetCookie(line) {
  const [pair, ...attrs] = line.split(";").map((s) => s.trim());
  const eq = pair.indexOf("=");
  const attributes = {};
  for (const attr of attrs) {
    const i = attr.indexOf("=");
    if (i < 0) attributes[attr.toLowerCase()] = true;
    else attributes[attr.slice(0, i).toLowerCase()] = attr.slice(i + 1);
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}

/** Text content of an HTML fragment, roughly: tags dropped, common entities decoded, whitespace folded. */
export function textOf(html) {
  return html
    .replace(/<script[\s\S]*?<\/script>/gi, " ")
    .replace(/<style[\s\S]*?<\/style>/gi, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

/** The visible page, without the serialized loader data Remix appends for hydration. */
export function visibleHtml(html) {
  return html.replace(/<script[\s\S]*?<\/script>/gi, "");
}
