import { describe, expect, it } from "vitest";
import { bodyLimit, BODY_LIMITS, IMPORT_UPLOAD_BYTES } from "../net/body-limits.js";
import { clientNetwork, limitKey, validClientAddress } from "../net/client-address.js";
import { batchRefusal, callsIn, MAX_BATCH_CALLS } from "./trpc-batch.js";
import { isPlainPath, isSecretPath, isSharePath, loggablePath, routePath } from "./paths.js";

describe("the path as the router matches it", () => {
  it("gives every spelling of a share path the same answer", () => {
    const slug = "AbCdEfGhIjKlMnOpQrStU";
    for (const spelling of [`/share/${slug}`, `/SHARE/${slug}`, `/Share/${slug}`, `/%73hare/${slug}`, `/%53HARE/${slug}`, `/x/../share/${slug}`, `/./share/${slug}`, `/\\share\\${slug}`, `//share/${slug}`]) {
      const path = routePath(spelling);
      expect(path, spelling).not.toBeNull();
      expect(isSharePath(path!), spelling).toBe(true);
      expect(loggablePath(spelling), spelling).toBe("/share/:slug");
    }
  });

  it("keeps the token of a digest confirmation, unsubscribe, password reset or invitation link out of logs and Referer, however it is spelled", () => {
    const token = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    for (const [kind, spellings] of [
      ["subscribe", [`/subscribe/${token}`, `/SUBSCRIBE/${token}`, `/%73ubscribe/${token}`, `/x/../subscribe/${token}`]],
      ["unsubscribe", [`/unsubscribe/${token}`, `/Unsubscribe/${token}`]],
      ["reset-password", [`/reset-password/${token}`, `/Reset-Password/${token}`, `/%72eset-password/${token}`]],
      ["invitations", [`/invitations/${token}`, `/Invitations/${token}`, `/%69nvitations/${token}`, `/x/../invitations/${token}`]],
    ] as const) {
      for (const spelling of spellings) {
        expect(isSecretPath(routePath(spelling)!), spelling).toBe(true);
        expect(loggablePath(spelling), spelling).toBe(`/${kind}/:token`);
      }
    }
  });

  it("keeps an embed's token out of logs and Referer, however it is spelled", () => {
    const token = "eyJ2IjoxLCJsIjoiYWJjIn0.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd";
    for (const spelling of [`/embed/${token}`, `/EMBED/${token}`, `/%65mbed/${token}`, `/x/../embed/${token}`]) {
      expect(isSecretPath(routePath(spelling)!), spelling).toBe(true);
      expect(loggablePath(spelling), spelling).toBe("/embed/:token");
    }
  });

  it("refuses what cannot be decoded and keeps other paths apart", () => {
    expect(routePath("/%E0%A4%A")).toBeNull();
    expect(isSharePath(routePath("/shared/x")!)).toBe(false);
    expect(isSharePath(routePath("/sites/a.example/share")!)).toBe(false);
    expect(loggablePath("/Sites/A.example/Settings")).toBe("/sites/a.example/settings");
  });

  it("calls only plain spellings plain, so exemptions cannot be borrowed", () => {
    expect(isPlainPath("/api/event")).toBe(true);
    expect(isPlainPath("/api/trpc/sharedLinks.list,share.stats")).toBe(true);
    for (const p of ["/api/event/../sites/x/settings", "/api/event/./", "/api//event", "/api/%65vent", "/api\\event", "api/event"]) expect(isPlainPath(p), p).toBe(false);
  });
});

describe("body limits", () => {
  it("are small for every route and nothing for requests that carry no body", () => {
    expect(bodyLimit("POST", "/api/event")).toBe(BODY_LIMITS.event);
    expect(bodyLimit("POST", "/api/trpc/share.unlock")).toBe(BODY_LIMITS.api);
    expect(bodyLimit("POST", "/login")).toBe(BODY_LIMITS.form);
    expect(bodyLimit("PUT", "/anything")).toBe(BODY_LIMITS.form);
    expect(bodyLimit("GET", "/api/event")).toBe(0);
    expect(Math.max(...Object.values(BODY_LIMITS))).toBeLessThanOrEqual(256 * 1024);
  });

  it("let an import's upload stream up to its own limit, and nothing else", () => {
    expect(bodyLimit("POST", "/api/sites/example.com/imports")).toBe(IMPORT_UPLOAD_BYTES + 64 * 1024);
    expect(bodyLimit("POST", "/api/sites/example.com/imports/x")).toBe(BODY_LIMITS.form);
    expect(bodyLimit("POST", "/sites/example.com/settings/imports")).toBe(BODY_LIMITS.form);
  });
});

describe("client addresses", () => {
  it("accepts only addresses, reading IPv4-mapped IPv6 as IPv4", () => {
    expect(validClientAddress("192.0.2.1")).toBe("192.0.2.1");
    expect(validClientAddress("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(validClientAddress("2001:db8::1")).toBe("2001:db8::1");
    for (const bad of [undefined, "", "unknown", "x".repeat(5000), "192.0.2.1, 10.0.0.1", "192.0.2.300"]) expect(validClientAddress(bad)).toBeNull();
  });

  it("counts an IPv6 client by its /64", () => {
    expect(clientNetwork("2001:db8:1:2::5")).toBe("2001:db8:1:2::/64");
    expect(clientNetwork("2001:0db8:0001:0002:ffff:0:0:1")).toBe("2001:db8:1:2::/64");
    expect(clientNetwork("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientNetwork("::1")).toBe("0:0:0:0::/64");
    expect(clientNetwork("192.0.2.1")).toBe("192.0.2.1");
  });

  it("makes fixed-length keys", () => {
    const short = limitKey("login:client", "1.2.3.4");
    const long = limitKey("login:client", "x".repeat(10_000));
    expect(short.length).toBe(long.length);
    expect(short).not.toBe(long);
  });
});

describe("tRPC batch cap", () => {
  const url = (path: string) => new URL(`http://localhost/api/trpc/${path}`);
  it("counts a batch's calls as tRPC reads them, however the commas are spelled", () => {
    expect(callsIn(url("share.resolve,share.resolve?batch=1"), "/api/trpc")).toBe(2);
    expect(callsIn(url(`${Array(200).fill("share.resolve").join("%2C")}?batch=1`), "/api/trpc")).toBe(200);
    expect(callsIn(url("share.resolve,share.resolve"), "/api/trpc")).toBe(1);
    expect(batchRefusal(url(`${Array(MAX_BATCH_CALLS).fill("share.resolve").join(",")}?batch=1`), "/api/trpc")).toBeNull();
    expect(batchRefusal(url(`${Array(11).fill("share.resolve").join(",")}?batch=1`), "/api/trpc")).toMatch(/at most 10 calls, and this one has 11/);
  });
});
