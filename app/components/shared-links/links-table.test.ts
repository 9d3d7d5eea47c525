import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { createStaticHandler, createStaticRouter, StaticRouterProvider } from "react-router-dom/server.js";
import { describe, expect, it } from "vitest";
import { type LinkRow, LinksTable } from "./links-table.js";

const row: LinkRow = {
  id: "00000000-0000-0000-0000-000000000001",
  name: "Board",
  url: "https://glimpse.example/share/AbCdEfGhIjKlMnOpQrStU",
  hasPassword: true,
  segmentName: null,
  created: "Nov 30, 2026",
  views: "5 views",
  viewers: "2 unique viewers",
  lastViewed: "just now",
  spike: "24 failed unlocks in the last hour",
  failedUnlocks: "24 failed unlocks",
  integration: true,
  state: "expired",
  stateLabel: "Expired",
  scope: "Since Nov 1, 2026",
};

/** The table's text as screen readers and copy-paste get it: what `textContent` holds. */
async function renderedText(links: LinkRow[]): Promise<Map<string, string>> {
  const routes = [{ path: "*", element: createElement(LinksTable, { links, canManage: true, domain: "example.com" }) }];
  const handler = createStaticHandler(routes);
  const context = await handler.query(new Request("http://localhost/sites/example.com/settings/visibility"));
  if (context instanceof Response) throw new Error(`Unexpected response ${context.status}`);
  const html = renderToStaticMarkup(createElement(StaticRouterProvider, { router: createStaticRouter(handler.dataRoutes, context), context, hydrate: false }));
  const cells = new Map<string, string>();
  for (const [, label, inner] of html.matchAll(/<td data-label="([^"]+)"[^>]*>([\s\S]*?)<\/td>/g)) {
    cells.set(label!, inner!.replace(/<[^>]+>/g, "").replaceAll("&amp;", "&"));
  }
  return cells;
}

describe("LinksTable", () => {
  it("keeps badges and sub-lines apart in its text, so they are not read glued together", async () => {
    const cells = await renderedText([row]);
    expect(cells.get("Name")).toBe("Board, Integration, Since Nov 1, 2026");
    expect(cells.get("Access")).toBe("Expired, Protected, Failed unlocks spiking, 24 failed unlocks");
    expect(cells.get("Views")).toBe("5 views, last just now, 2 unique viewers, Usage");
    const quiet = await renderedText([{ ...row, integration: false, spike: null, failedUnlocks: null, lastViewed: null, hasPassword: false, state: "active", stateLabel: "Active", scope: "" }]);
    expect(quiet.get("Name")).toBe("Board, All dates and sections");
    expect(quiet.get("Access")).toBe("Active, Open");
    expect(quiet.get("Views")).toBe("5 views, never viewed, 2 unique viewers, Usage");
  });
});
