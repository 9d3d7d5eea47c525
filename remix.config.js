/** @type {import('@remix-run/dev').AppConfig} */
export default {
  serverModuleFormat: "esm",
  ignoredRouteFiles: ["**/.*", "**/*.test.*"],
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
