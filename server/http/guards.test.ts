import { describe, expect, it } from "vitest";
import { bodyRefusal, errorLogLine, isClientBodyError, requestLogLine, requestRefusal } from "./guards.js";

const req = (host: string | undefined, url = "/api/event", headers: Record<string, string> = {}) => ({ headers: { ...(host === undefined ? {} : { host }), ...headers }, url });

describe("the guards both ways in apply", () => {
  it("refuse a request without a valid client address, an undecodable path or a Host that makes no URL, in that order", () => {
    expect(requestRefusal(null, null, req("bad host"))).toEqual({ status: 400, text: "This request did not come with a valid client address." });
    expect(requestRefusal("192.0.2.1", null, req("bad host"))).toEqual({ status: 400, text: "This address could not be understood." });
    expect(requestRefusal("192.0.2.1", "/api/event", req("bad host"))).toEqual({ status: 400, text: "This request could not be understood." });
    expect(requestRefusal("192.0.2.1", "/api/event", req("glimpse.example:8080", "/api/event?v=1"))).toBeNull();
  });

  it("refuse a declared body over the route's limit before reading it", () => {
    expect(bodyRefusal("POST", "/api/event", req("h", "/", { "content-length": String(16 * 1024) }))).toBeNull();
    expect(bodyRefusal("POST", "/api/event", req("h", "/", { "content-length": String(16 * 1024 + 1) }))).toEqual({ status: 413, text: "This request is too large: 16 KB at most." });
    expect(bodyRefusal("GET", "/", req("h", "/", { "content-length": "1" }))).toEqual({ status: 413, text: "This request must not have a body." });
    expect(bodyRefusal("POST", "/api/event", req("h", "/", { "content-length": "twelve" }))?.status).toBe(413);
    expect(bodyRefusal("POST", "/api/event", req("h"))).toBeNull();
  });

  it("tell a client's broken body from the server's fault", () => {
    for (const error of [{ type: "request.size.invalid" }, { type: "request.aborted" }, { code: "ECONNABORTED" }]) expect(isClientBodyError(error)).toBe(true);
    for (const error of [new Error("boom"), null, { type: "entity.too.large" }]) expect(isClientBodyError(error)).toBe(false);
  });

  it("log a request without its query or a share slug, and an error without a stack", () => {
    const line = JSON.parse(requestLogLine("GET", "/SHARE/AbCdEfGhIjKlMnOpQrStU", 200, process.hrtime.bigint()));
    expect(line).toMatchObject({ method: "GET", path: "/share/:slug", status: 200 });
    expect(typeof line.ms).toBe("number");
    expect(JSON.parse(errorLogLine(500, new Error("x".repeat(300))))).toMatchObject({ level: "error", status: 500, error: "x".repeat(200) });
    expect(JSON.parse(errorLogLine(400, "bad"))).toMatchObject({ level: "warn", status: 400, error: "bad" });
  });
});
