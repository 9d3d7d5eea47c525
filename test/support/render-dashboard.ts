import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
// react-router-dom comes with @remix-run/react; Remix's <Link>/<Form> need a data router around them.
import { createStaticHandler, createStaticRouter, StaticRouterProvider } from "react-router-dom/server.js";
import { Dashboard, type DashboardProps } from "../../app/components/dashboard/dashboard.js";

/** Renders the dashboard outside a Remix app, for component tests and the screenshot preview. */
export async function renderDashboardMarkup(props: DashboardProps): Promise<string> {
  const routes = [{ path: "*", element: createElement(Dashboard, props) }];
  const handler = createStaticHandler(routes);
  const search = props.search.startsWith("?") || props.search === "" ? props.search : `?${props.search}`;
  const context = await handler.query(new Request(`http://localhost${props.basePath}${search}`));
  if (context instanceof Response) throw new Error(`Unexpected response ${context.status}`);
  const router = createStaticRouter(handler.dataRoutes, context);
  return renderToStaticMarkup(createElement(StaticRouterProvider, { router, context, hydrate: false }));
}
