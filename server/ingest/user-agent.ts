import Bowser from "bowser";

export interface Client {
  device: string;
  browser: string;
  os: string;
}

const DEVICES: Record<string, string> = { desktop: "Desktop", mobile: "Mobile", tablet: "Tablet" };

/** Shorter names for the browsers whose official names don't fit a table cell. */
const BROWSERS: Record<string, string> = {
  "Microsoft Edge": "Edge",
  "Samsung Internet for Android": "Samsung Internet",
  "Internet Explorer": "IE",
};

/** bowser (MIT) keeps up with new user agents so this file doesn't have to. Unknown parts are "". */
export function parseUserAgent(userAgent: string): Client {
  const parsed = Bowser.parse(userAgent);
  const browser = parsed.browser.name ?? "";
  return {
    device: DEVICES[parsed.platform.type ?? ""] ?? "",
    browser: (BROWSERS[browser] ?? browser).slice(0, 100),
    os: (parsed.os.name ?? "").slice(0, 100),
  };
}
