import { describe, expect, it } from "vitest";
import { safeRedirect } from "./errors.server.js";

describe("redirect targets after logging in", () => {
  it("keep local paths, with their query and fragment", () => {
    expect(safeRedirect("/sites/a.example/settings?tab=links#new")).toBe("/sites/a.example/settings?tab=links#new");
    expect(safeRedirect("/")).toBe("/");
    expect(safeRedirect("/a/../b")).toBe("/b");
  });

  it("refuse every spelling that a browser would read as another site", () => {
    const attempts = [
      "//evil.example/phish",
      "/\t/evil.example/phish",
      "/\n/evil.example",
      "/\r\n/evil.example",
      "/\\evil.example",
      "/\\/evil.example",
      "\\\\evil.example",
      " //evil.example",
      "/.//evil.example",
      "/./\t/evil.example",
      "/%09/evil.example",
      "https://evil.example/",
      "http:evil.example",
      "javascript:alert(1)",
      "evil.example",
      "",
      null,
      undefined,
    ];
    for (const to of attempts) {
      const target = safeRedirect(to);
      const resolved = new URL(target, "https://glimpse.example");
      expect(resolved.origin, JSON.stringify(to)).toBe("https://glimpse.example");
      expect(target, JSON.stringify(to)).toMatch(/^\/(?![/\\])/);
      expect(target, JSON.stringify(to)).not.toMatch(/[\t\n\r\\]/);
    }
  });
});
