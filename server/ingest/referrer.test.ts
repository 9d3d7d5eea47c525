import { describe, expect, it } from "vitest";
import { acquisitionOf } from "./referrer.js";

const SITE = "shop.example";
const at = (referrer: string, page = "https://shop.example/") => acquisitionOf(new URL(page), referrer, SITE);

describe("traffic sources", () => {
  const cases: [string, string, string][] = [
    ["https://www.google.com/", "Google", "google.com"],
    ["https://www.google.co.uk/search?q=shoes", "Google", "google.co.uk/search"],
    ["https://www.google.de/", "Google", "google.de"],
    ["https://www.bing.com/search?q=x", "Bing", "bing.com/search"],
    ["https://duckduckgo.com/", "DuckDuckGo", "duckduckgo.com"],
    ["https://t.co/AbC123", "X/Twitter", "t.co/AbC123"],
    ["https://twitter.com/someone/status/1", "X/Twitter", "twitter.com/someone/status/1"],
    ["https://x.com/someone", "X/Twitter", "x.com/someone"],
    ["https://m.facebook.com/", "Facebook", "facebook.com"],
    ["https://www.linkedin.com/feed/", "LinkedIn", "linkedin.com/feed"],
    ["https://old.reddit.com/r/webdev/", "Reddit", "old.reddit.com/r/webdev"],
    ["https://github.com/org/repo", "GitHub", "github.com/org/repo"],
    ["https://news.ycombinator.com/item?id=1", "Hacker News", "news.ycombinator.com/item"],
    ["https://blog.example.org/post", "blog.example.org", "blog.example.org/post"],
  ];
  for (const [referrer, source, stored] of cases) {
    it(`names ${referrer} ${source}`, () => {
      expect(at(referrer)).toMatchObject({ referrer_source: source, referrer: stored });
    });
  }

  it("treats no referrer, a same-site referrer and a junk referrer as Direct / None", () => {
    for (const referrer of ["", "https://shop.example/cart", "https://www.shop.example/", "https://de.shop.example/", "not a url", "android-app://x"]) {
      expect(at(referrer)).toMatchObject({ referrer_source: "", referrer: "" });
    }
  });

  it("tells the page's own origin from hosts that only start like it", () => {
    for (const referrer of ["https://shop.example/", "https://shop.example/a?b=c", "https://shop.example/#top"]) {
      expect(at(referrer, "https://shop.example/landing?x=1")).toMatchObject({ referrer_source: "", referrer: "" });
    }
    expect(at("https://shop.example.evil.test/x")).toMatchObject({ referrer_source: "shop.example.evil.test", referrer: "shop.example.evil.test/x" });
    expect(at("https://shop.example@evil.test/x")).toMatchObject({ referrer_source: "evil.test", referrer: "evil.test/x" });
    expect(at("https://shop.example:8443/x")).toMatchObject({ referrer_source: "", referrer: "" });
    expect(at("http://shop.example/x")).toMatchObject({ referrer_source: "", referrer: "" });
  });

  it("names a host the same however often it is asked", () => {
    for (let i = 0; i < 1_500; i++) expect(at(`https://site-${i % 1_200}.test/`).referrer_source).toBe(`site-${i % 1_200}.test`);
    expect(at("https://www.google.com/").referrer_source).toBe("Google");
  });

  it("lets utm_source (or ref) override the referrer, with common spellings named", () => {
    expect(at("https://www.google.com/", "https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=may")).toEqual({
      referrer_source: "newsletter",
      referrer: "google.com",
      utm_source: "newsletter",
      utm_medium: "email",
      utm_campaign: "may",
    });
    expect(at("", "https://shop.example/?utm_source=twitter").referrer_source).toBe("X/Twitter");
    expect(at("", "https://shop.example/?ref=producthunt").referrer_source).toBe("Product Hunt");
  });

  it("strips control characters from UTM values and caps their length", () => {
    const utm = at("", `https://shop.example/?utm_campaign=a%00b%0Ac&utm_source=${"s".repeat(400)}`);
    expect(utm.utm_campaign).toBe("abc");
    expect(utm.utm_source).toHaveLength(300);
  });
});
