/** @type {import('@remix-run/dev').AppConfig} */
export default {
  serverModuleFormat: "esm",
  ignoredRouteFiles: ["**/.*", "**/*.test.*"],
  // An embed made with a token is the share page under an address that holds only the token
  // (/embed/<token>), never the link's slug: the same module, so both apply the scope the same way.
  routes: (defineRoutes) =>
    defineRoutes((route) => {
      route("/embed/:token", "routes/share.$slug.tsx", { id: "routes/embed.$token" });
    }),
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    v3_singleFetch: true,
    // Off on purpose: with twenty routes the whole manifest is a few KB, while discovery made the
    // server match every parent path of each page again (about a tenth of a settings page's CPU).
    v3_lazyRouteDiscovery: false,
  },
};
